/**
 * `npm run bench:retention` (issue 11, ADR 0025): one per-second schedule at its real rate —
 * 86,400 finished runs a day, each with 2 task events — inserted ten simulated minutes (600
 * runs) at a time, with a maintenance run (prune + incremental vacuum, default retention:
 * maxTasksPerSchedule 10,000) after each slice, as the 10-minute timer would.
 * Reports the prune batches' (and vacuum steps') wall time p50/p99/max and CPU time p99/max,
 * rows deleted per second of batch wall time, and the database size and rows at the end.
 *
 * Env: RETENTION_DAYS (default 1), RETENTION_DIALECT=pg with AGENTCRON_TEST_PG_URL set (a
 * scratch database is created and dropped) — default SQLite in a temp dir.
 * Run it on an idle machine if you can; it prints `uptime`'s load average beside the figures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestPgDatabase, dropTestPgDatabase } from "../test/support/pg-test-db";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const DAYS = Number(process.env.RETENTION_DAYS ?? 1);
const DIALECT = process.env.RETENTION_DIALECT === "pg" ? "pg" : "sqlite";
const SLICE_MS = 10 * 60 * 1000;
const SLICE_RUNS = 600;
const T0 = Date.UTC(2026, 0, 1);
const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const fmt = (n: number, d = 1) => n.toFixed(d);

async function main() {
  let dropPg: (() => Promise<void>) | null = null;
  if (DIALECT === "pg") {
    const database = await createTestPgDatabase();
    process.env.DATABASE_URL = database.url;
    dropPg = () => dropTestPgDatabase(database);
  } else {
    process.env.AGENTCRON_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-retention-"));
  }
  try {
    const { getDb, dbReady, closeDb } = await import("../src/lib/db/client");
    const { runMaintenance } = await import("../src/lib/retention/maintenance");
    const { selectStorageStats } = await import("../src/lib/db/queries/storage");
    const { makeSchedule } = await import("../test/factories");
    const { insertRuns, countRows } = await import("../test/retention/support");
    await dbReady();
    const db = getDb();
    const schedule = await makeSchedule({ cronExpression: "* * * * * *", name: "every second" });
    const wall: number[] = [];
    const cpu: number[] = [];
    let maxSize = 0;
    let insertMs = 0;
    const slices = (DAYS * 86_400_000) / SLICE_MS;
    for (let i = 0; i < slices; i++) {
      const from = T0 + i * SLICE_MS;
      const t0 = performance.now();
      await insertRuns(db, schedule.id, from, from + SLICE_MS, SLICE_RUNS, 2);
      insertMs += performance.now() - t0;
      const report = await runMaintenance(db, from + SLICE_MS);
      if (report.error) throw new Error(report.error);
      wall.push(...report.batchMs);
      cpu.push(...report.batchCpuMs);
      maxSize = Math.max(maxSize, (await selectStorageStats(db)).sizeBytes);
    }
    const rows = await countRows(db);
    const size = (await selectStorageStats(db)).sizeBytes;
    // Every row inserted and not there at the end was pruned (task events also go by cascade with their task).
    const deleted = DAYS * 86_400 * 3 - rows.tasks - rows.taskEvents;
    const wallSum = wall.reduce((a, b) => a + b, 0);
    const cpuSum = cpu.reduce((a, b) => a + b, 0);
    const mib = (b: number) => fmt(b / 1024 / 1024);
    console.log(`[bench:retention] ${DIALECT}, ${DAYS} day(s) of a per-second schedule: ${DAYS * 86_400} runs, ${DAYS * 172_800} task events (insert ${fmt(insertMs / 1000)} s)`);
    console.log(`  ${wall.length} prune batches and vacuum steps: wall p50 ${fmt(pct(wall, 50))} / p99 ${fmt(pct(wall, 99))} / max ${fmt(Math.max(...wall))} ms; CPU p50 ${fmt(pct(cpu, 50))} / p99 ${fmt(pct(cpu, 99))} / max ${fmt(Math.max(...cpu))} ms (CPU total ${fmt(cpuSum / 1000, 2)} s)`);
    console.log(`  deleted ${deleted} rows (tasks + task events) in ${fmt(wallSum / 1000, 2)} s of batch wall time: ${Math.round(deleted / (wallSum / 1000))} rows/s (${Math.round(deleted / (cpuSum / 1000))} rows per CPU s)`);
    console.log(`  end: ${rows.tasks} tasks, ${rows.taskEvents} task events, ${mib(size)} MiB (max ${mib(maxSize)} MiB)${DIALECT === "pg" ? " pg_database_size" : " SQLite file"}`);
    console.log(`  machine: ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg().map((l) => fmt(l, 2)).join(" ")}`);
    await closeDb();
  } finally {
    if (dropPg) await dropPg();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
