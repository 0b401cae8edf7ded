import "server-only";
import { runDailyBackup, type BackupResult } from "../backup/backup";
import { resolveDataDir, type Db } from "../db/client";
import { ensureIncrementalVacuum, incrementalVacuumStep, vacuumAnalyzePrunedTables } from "../db/queries/storage";
import { processSingleton } from "../process-singleton";
import type { Clock } from "../time/clock";
import { getKeepSettings } from "./keep-settings";
import { percentileMs, pruneExpired, TARGET_BATCH_MS, yieldToEventLoop, type PruneCounts, type PruneOptions } from "./prune";

/**
 * The maintenance timer (issue 11 items 4–5; ADR "retention"): every MAINTENANCE_INTERVAL_MS,
 * off the scheduler's pass, it prunes what the retention settings no longer keep (bounded
 * batches, the event loop runs between them), gives the freed pages back to the file system
 * (SQLite incremental vacuum, also in bounded steps; PostgreSQL a plain VACUUM (ANALYZE) of
 * the pruned tables, on the server) and takes the optional daily backup.
 * Every runner runs it; the deletes are idempotent, so two runners sharing a database only
 * repeat a little reading.
 */

/** How often maintenance runs. */
export const MAINTENANCE_INTERVAL_MS = 10 * 60 * 1000;
/** Free pages given back by the first incremental-vacuum step; later steps are sized to TARGET_BATCH_MS (16–1024 pages). */
export const VACUUM_PAGES_PER_STEP = 128;
/** Existing SQLite files up to this size are switched to incremental auto-vacuum at boot (one VACUUM). */
export const CONVERT_AT_BOOT_MAX_BYTES = 256 * 1024 * 1024;
/** The WAL file is truncated to at most this after a checkpoint (journal_size_limit). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** What one maintenance run did (GET /api/storage `lastMaintenance`). */
export interface MaintenanceReport {
  /** UTC ms the run started. */
  at: number;
  deleted: PruneCounts;
  /** Batches (prune batches and vacuum steps) and their p99 / max duration, ms. */
  batches: number;
  p99BatchMs: number | null;
  maxBatchMs: number | null;
  /** p99 of the same batches' CPU time in this process, ms (wall minus waiting for a core; prune.ts). */
  p99BatchCpuMs: number | null;
  /** Every batch's wall and CPU time, ms (tests and benchmarks aggregate them over many runs). */
  batchMs: number[];
  batchCpuMs: number[];
  /** Pages given back to the file system (SQLite). */
  vacuumedPages: number;
  /** PostgreSQL: how long the VACUUM (ANALYZE) after pruning took on the server, ms (the event loop was free); null when none ran. */
  pgVacuumMs: number | null;
  /** The daily backup this run took, or null. */
  backup: BackupResult | null;
  /** Wall time of the whole run, ms (the event loop ran between its batches). */
  durationMs: number;
  error: string | null;
}

/**
 * One maintenance run as of `now` (UTC ms): prune, incremental vacuum, daily backup. Each
 * batch and vacuum step is timed; the report carries their p99.
 */
export async function runMaintenance(db: Db, now: number, opts: PruneOptions & { dataDir?: string } = {}): Promise<MaintenanceReport> {
  const started = performance.now();
  const pause = opts.pause ?? yieldToEventLoop;
  const settings = await getKeepSettings(db);
  const pruned = await pruneExpired(db, now, settings.retention, { ...opts, pause });
  const batchMs = [...pruned.batchMs];
  const batchCpuMs = [...pruned.batchCpuMs];
  let vacuumedPages = 0;
  if (db.$dialect === "sqlite") {
    let pages = VACUUM_PAGES_PER_STEP;
    for (;;) {
      const t0 = performance.now();
      const cpu = process.cpuUsage();
      const step = await incrementalVacuumStep(db, pages);
      if (step.before === 0) break;
      batchMs.push(performance.now() - t0);
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      batchCpuMs.push(cpuMs);
      // Sized by CPU time: on a busy machine wall time also counts waiting for a core.
      pages = Math.max(16, Math.min(1024, Math.round((pages * TARGET_BATCH_MS) / Math.max(cpuMs, 0.5))));
      vacuumedPages += step.before - step.after;
      // Done, or auto_vacuum is not INCREMENTAL on this file (nothing moves): stop.
      if (step.after === 0 || step.after >= step.before) break;
      await pause();
    }
  }
  let backup: BackupResult | null = null;
  let error: string | null = null;
  let pgVacuumMs: number | null = null;
  if (db.$dialect === "pg" && Object.values(pruned.deleted).some((n) => n > 0)) {
    const t0 = performance.now();
    try {
      await vacuumAnalyzePrunedTables(db);
    } catch (err) {
      error = `vacuum: ${(err as Error).message}`;
      console.error("[agentcron] VACUUM after pruning failed", err);
    }
    pgVacuumMs = performance.now() - t0;
  }
  if (settings.backup.dailyEnabled) {
    try {
      backup = await runDailyBackup(db, opts.dataDir ?? resolveDataDir(), now, settings.backup.keep);
    } catch (err) {
      error = `daily backup: ${(err as Error).message}`;
      console.error("[agentcron] daily backup failed", err);
    }
  }
  return {
    at: now,
    deleted: pruned.deleted,
    batches: batchMs.length,
    p99BatchMs: percentileMs(batchMs, 99),
    maxBatchMs: batchMs.length ? Math.max(...batchMs) : null,
    p99BatchCpuMs: percentileMs(batchCpuMs, 99),
    batchMs,
    batchCpuMs,
    vacuumedPages,
    pgVacuumMs,
    backup,
    durationMs: performance.now() - started,
    error,
  };
}

interface MaintenanceState {
  timer: NodeJS.Timeout | null;
  first: NodeJS.Timeout | null;
  running: boolean;
  last: MaintenanceReport | null;
}

function state(): MaintenanceState {
  return processSingleton<MaintenanceState>("maintenance", () => ({ timer: null, first: null, running: false, last: null }));
}

/** The last maintenance run of this process, or null before the first. */
export function lastMaintenance(): MaintenanceReport | null {
  return state().last;
}

/**
 * Prepares the database file for retention, once at boot before the scheduler starts:
 * SQLite files are switched to incremental auto-vacuum (new files by the pragma; existing
 * files up to CONVERT_AT_BOOT_MAX_BYTES by one VACUUM; larger ones are left as they are —
 * freed pages are still reused — with a log line saying how to convert offline).
 */
export async function prepareStorage(db: Db): Promise<void> {
  const outcome = await ensureIncrementalVacuum(db, CONVERT_AT_BOOT_MAX_BYTES, WAL_SIZE_LIMIT_BYTES);
  if (outcome === "converted") console.log("[agentcron] database switched to incremental auto-vacuum (one-time VACUUM)");
  if (outcome === "too_large") {
    console.warn(
      `[agentcron] the database is over ${CONVERT_AT_BOOT_MAX_BYTES / 1024 / 1024} MiB and not in incremental auto-vacuum mode: pruned space is reused but the file won't shrink. ` +
        `To convert, stop Agentcron and run: sqlite3 <dataDir>/agentcron.db "PRAGMA auto_vacuum=INCREMENTAL; VACUUM;"`,
    );
  }
}

/**
 * Starts this process's maintenance timer (once; later calls do nothing): a first run a
 * minute after boot, then every MAINTENANCE_INTERVAL_MS. Runs never overlap. The timer is
 * unref'd: it never keeps a process alive.
 */
export function startMaintenance(db: Db, clock: Clock, intervalMs = MAINTENANCE_INTERVAL_MS): void {
  const s = state();
  if (s.timer) return;
  const tick = async () => {
    if (s.running) return;
    s.running = true;
    try {
      s.last = await runMaintenance(db, clock.now());
    } catch (err) {
      console.error("[agentcron] maintenance failed", err);
    } finally {
      s.running = false;
    }
  };
  s.first = setTimeout(() => void tick(), Math.min(60_000, intervalMs));
  s.first.unref?.();
  s.timer = setInterval(() => void tick(), intervalMs);
  s.timer.unref?.();
}

/** Stops the maintenance timer (shutdown, tests). */
export function stopMaintenance(): void {
  const s = state();
  if (s.timer) clearInterval(s.timer);
  if (s.first) clearTimeout(s.first);
  s.timer = s.first = null;
}
