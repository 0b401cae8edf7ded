/**
 * What the maintained counters cost on PostgreSQL (ADR 0010): claim-like transactions
 * (one task queued → running, one running → completed, one firing metric inserted) from
 * several connections on a real server, with the counter triggers and with them disabled.
 * Not a test: it prints figures for docs/benchmarks.md.
 *
 *   npm run bench:pg-counters       (≈ 30 s; uses AGENTCRON_TEST_PG_URL, else starts a cluster)
 *
 * Env: PG_BENCH_CONNECTIONS (4), PG_BENCH_MS per phase (8000).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { closePgDatabase, migratePgDatabase, openPgDatabase, type PgDb } from "../src/lib/db/pg";
import { scheduleFiringMetrics, tasks } from "../src/lib/db/schema-pg";
import { createTestPgDatabase, dropTestPgDatabase } from "../test/support/pg-test-db";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const CONNECTIONS = Number(process.env.PG_BENCH_CONNECTIONS ?? 4);
const PHASE_MS = Number(process.env.PG_BENCH_MS ?? 8000);
const T0 = Date.UTC(2026, 0, 1);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function phase(url: string, label: string): Promise<void> {
  const pools: PgDb[] = Array.from({ length: CONNECTIONS }, () => openPgDatabase(url, { poolSize: 1 }));
  const latencies: number[] = [];
  const end = Date.now() + PHASE_MS;
  let deadlocks = 0;
  await Promise.all(
    pools.map(async (db, k) => {
      for (let i = 0; Date.now() < end; i++) {
        const t = performance.now();
        try {
          await db.transaction(async (tx) => {
            // Claim: one queued task of this connection's share; finish: one running one.
            await tx.execute(sql`UPDATE tasks SET status = 'running' WHERE id = (SELECT id FROM tasks WHERE status = 'queued' AND runner_id = ${`w${k}`} LIMIT 1)`);
            await tx.execute(sql`UPDATE tasks SET status = 'queued' WHERE id = (SELECT id FROM tasks WHERE status = 'running' AND runner_id = ${`w${k}`} LIMIT 1 OFFSET 1)`);
            await tx.insert(scheduleFiringMetrics).values({
              scheduleId: `s${i % 50}`, taskId: `x${k}-${i}`, firedAt: T0, plannedAt: T0, slotClaimedAt: T0, completedAt: T0,
              latenessMs: (i * 37) % 3000, slotWaitMs: (i * 11) % 700, durationMs: 1, turnCount: 1, maxTurnsAtFiring: 1,
              eventLoopLagMs: 0, peakRssMb: 0, chatStreamsActive: 0, concurrentSchedules: 1,
            });
          });
          latencies.push(performance.now() - t);
        } catch (err) {
          if ((err as { cause?: { code?: string } }).cause?.code === "40P01") deadlocks++;
          else throw err;
        }
      }
    }),
  );
  await Promise.all(pools.map((p) => closePgDatabase(p)));
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(28)} ${String(latencies.length).padStart(6)} tx  ${(latencies.length / (PHASE_MS / 1000)).toFixed(0).padStart(5)} tx/s  ` +
      `p50 ${pct(latencies, 50).toFixed(2)} ms  p99 ${pct(latencies, 99).toFixed(2)} ms  deadlocks ${deadlocks}`,
  );
}

async function main() {
  let stop: (() => void) | undefined;
  if (!process.env.AGENTCRON_TEST_PG_URL) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-pg-"));
    const env = { ...process.env, PG_CLUSTER_DIR: dir };
    const script = path.resolve(__dirname, "../scripts/pg-cluster.sh");
    process.env.AGENTCRON_TEST_PG_URL = execFileSync(script, ["start"], { env, encoding: "utf8" }).trim();
    stop = () => execFileSync(script, ["stop"], { env });
  }
  const target = await createTestPgDatabase();
  try {
    const db = openPgDatabase(target.url);
    await migratePgDatabase(db);
    const rows = Array.from({ length: CONNECTIONS * 200 }, (_, i) => ({
      id: `t${i}`, scheduleId: `s${i % 50}`, runnerId: `w${i % CONNECTIONS}`, status: (i % 2 ? "running" : "queued") as "running" | "queued",
      title: "t", prompt: "p", sourceType: "scheduled" as const, maxTurns: 1, createdAt: T0,
    }));
    await db.insert(tasks).values(rows);
    console.log(`PostgreSQL ${(await db.execute<{ server_version: string }>(sql`SHOW server_version`)).rows[0].server_version}, ${CONNECTIONS} connections, ${PHASE_MS} ms per phase`);
    await phase(target.url, "with counter triggers");
    await db.execute(sql`ALTER TABLE tasks DISABLE TRIGGER USER`);
    await db.execute(sql`ALTER TABLE schedule_firing_metrics DISABLE TRIGGER USER`);
    await phase(target.url, "triggers disabled");
    await closePgDatabase(db);
  } finally {
    await dropTestPgDatabase(target);
    stop?.();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
