import "server-only";
import { Gauge, type Registry } from "prom-client";
import type { Db } from "../db/client";
import { COUNTED_TABLES, selectStorageStats, type StorageStats } from "../db/queries/storage";
import { toIso } from "../time/clock";
import { lastMaintenance } from "./maintenance";

/** GET /api/storage: the database's size and row counts, and this process's last maintenance run. */
export interface StorageOverview extends StorageStats {
  lastMaintenance: {
    at: string;
    deleted: Record<string, number>;
    batches: number;
    p99BatchMs: number | null;
    maxBatchMs: number | null;
    p99BatchCpuMs: number | null;
    vacuumedPages: number;
    backupPath: string | null;
    error: string | null;
  } | null;
}

/** Size, approximate row counts (StorageStats) and the last maintenance run (null before the first, a minute after boot). */
export async function storageOverview(db: Db): Promise<StorageOverview> {
  const stats = await selectStorageStats(db);
  const last = lastMaintenance();
  return {
    ...stats,
    lastMaintenance: last && {
      at: toIso(last.at)!,
      deleted: { ...last.deleted },
      batches: last.batches,
      p99BatchMs: last.p99BatchMs == null ? null : Math.round(last.p99BatchMs * 100) / 100,
      maxBatchMs: last.maxBatchMs == null ? null : Math.round(last.maxBatchMs * 100) / 100,
      p99BatchCpuMs: last.p99BatchCpuMs == null ? null : Math.round(last.p99BatchCpuMs * 100) / 100,
      vacuumedPages: last.vacuumedPages,
      backupPath: last.backup?.path ?? null,
      error: last.error,
    },
  };
}

/**
 * Adds the storage gauges to a /api/metrics scrape: `agentcron_db_size_bytes`,
 * `agentcron_db_free_bytes` (SQLite), `agentcron_db_rows{table}` (approximate, see
 * StorageStats) and `agentcron_prune_batch_p99_seconds` (this process's last maintenance run).
 */
export async function registerStorageMetrics(registry: Registry, db: Db): Promise<void> {
  const stats = await selectStorageStats(db);
  new Gauge({ name: "agentcron_db_size_bytes", help: "Database size: SQLite page_count*page_size, PostgreSQL pg_database_size", registers: [registry] }).set(stats.sizeBytes);
  if (stats.freeBytes != null) {
    new Gauge({ name: "agentcron_db_free_bytes", help: "SQLite free pages not yet given back by incremental vacuum, bytes", registers: [registry] }).set(stats.freeBytes);
  }
  const rows = new Gauge({ name: "agentcron_db_rows", help: "Approximate rows per table (tasks exact)", labelNames: ["table"], registers: [registry] });
  for (const table of COUNTED_TABLES) rows.set({ table }, stats.rows[table]);
  const last = lastMaintenance();
  if (last?.p99BatchMs != null) {
    new Gauge({ name: "agentcron_prune_batch_p99_seconds", help: "p99 duration of the last maintenance run's prune batches and vacuum steps", registers: [registry] }).set(last.p99BatchMs / 1000);
  }
}
