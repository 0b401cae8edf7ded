/**
 * The cap on PostgreSQL (ADR 0012): claims/s of the real claim (queries/slots.ts claimTask:
 * advisory lock + conditional UPDATE, one transaction per claim) from several runners on
 * separate pools, each finishing its oldest running task as it goes, with a sampler
 * counting `running` from another connection. For comparison, the same workload with the
 * old SQLite-style statement (COUNT(*) < cap inside the UPDATE, no lock): it exceeds the cap.
 * Not a test: it prints figures for docs/benchmarks.md.
 *
 *   npm run bench:pg-cap        (≈ 20 s; uses AGENTCRON_TEST_PG_URL, else starts a cluster)
 *
 * Phases: the drain (drainQueue: one transaction and one lock per pass), single claims
 * (claimTask in its own transaction: Run now), and the old unlocked statement.
 * Env: PG_BENCH_RUNNERS (4), PG_BENCH_CAP (20), PG_BENCH_MS per phase (8000).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openPgHandle, withTransaction, type Db } from "../src/lib/db/client";
import { closePgDatabase, type PgDb } from "../src/lib/db/pg";
import { claimTask, countRunning, selectDrainCandidates } from "../src/lib/db/queries/slots";
import { writeTerminal } from "../src/lib/db/queries/task-runs";
import { getSettings } from "../src/lib/config/settings";
import { drainQueue } from "../src/lib/scheduler/drain";
import { execute, run, tablesOf } from "../src/lib/db/sql";
import { createTestPgDatabase, dropTestPgDatabase } from "../test/support/pg-test-db";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const RUNNERS = Number(process.env.PG_BENCH_RUNNERS ?? 4);
const CAP = Number(process.env.PG_BENCH_CAP ?? 20);
const PHASE_MS = Number(process.env.PG_BENCH_MS ?? 8000);
const T0 = Date.UTC(2026, 0, 1);

/** The pre-ADR-0012 claim: correct on SQLite, not under READ COMMITTED. */
async function unlockedClaim(db: Db, taskId: string, runnerId: string, now: number): Promise<boolean> {
  return (
    (await execute(
      db,
      sql`UPDATE tasks SET status = 'running', slot_claimed_at = ${now}, started_at = ${now}, runner_id = ${runnerId}
          WHERE id = ${taskId} AND status = 'queued' AND (SELECT COUNT(*) FROM tasks WHERE status = 'running') < ${CAP}`,
    )) === 1
  );
}

async function phase(url: string, label: string, mode: "claim" | "drain" | "unlocked"): Promise<void> {
  const handles = Array.from({ length: RUNNERS + 1 }, (_, i) => openPgHandle(url, { poolSize: 2, applicationName: `bench-cap-${i}` }));
  await Promise.all(handles.map((h) => h.ready));
  const dbs = handles.map((h) => h.db);
  const seed = dbs[RUNNERS];
  await execute(seed, sql`TRUNCATE tasks CASCADE`);
  const { tasks } = tablesOf(seed);
  for (let b = 0; b < 40; b++) {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: `t${b}-${i}`, title: "t", prompt: "p", status: "queued" as const, sourceType: "manual" as const, rootSourceType: "manual" as const,
      maxTurns: 1, maxAttempts: 1, createdAt: T0 + b * 1000 + i,
    }));
    await run(seed, seed.insert(tasks).values(rows));
  }
  const settings = { ...(await getSettings(seed)), maxConcurrent: CAP };
  let claims = 0;
  let attempts = 0;
  let maxRunning = 0;
  let stop = false;
  const end = Date.now() + PHASE_MS;
  const sampler = (async () => {
    while (!stop) maxRunning = Math.max(maxRunning, await countRunning(seed));
  })();
  await Promise.all(
    dbs.slice(0, RUNNERS).map(async (db, k) => {
      const runnerId = `r${k}`;
      const mine: string[] = [];
      while (Date.now() < end) {
        const now = Date.now();
        if (mode === "drain") {
          // The scheduler's path: one transaction per pass, the lock taken once, claims to the cap.
          const res = await drainQueue({ db, now, runnerId, settings, chatStreams: 0 });
          attempts++;
          claims += res.claimed.length;
          mine.push(...res.claimed.map((c) => c.task.id));
          const finishing = mine.splice(0, Math.max(1, res.claimed.length));
          for (const id of finishing) {
            await withTransaction(db, (tx) =>
              writeTerminal(tx, { taskId: id, guardRunnerId: runnerId, status: "completed", failureReason: null, error: null, result: null, turnCount: 0, sessionId: null, inputTokens: null, outputTokens: null, costUsd: null, now }),
            );
          }
          continue;
        }
        const cands = await selectDrainCandidates(db, now, 16);
        // Runners start at different offsets of the FIFO head, as their passes interleave.
        for (const c of cands.slice(k * 4).concat(cands.slice(0, k * 4))) {
          attempts++;
          const ok = mode === "claim"
            ? await claimTask(db, { taskId: c.task.id, runnerId, now, cap: CAP, defaultLeaseSec: 600, serialize: false, force: false })
            : await unlockedClaim(db, c.task.id, runnerId, now);
          if (ok) {
            claims++;
            mine.push(c.task.id);
          }
          if (mine.length >= Math.ceil(CAP / RUNNERS) || !ok) {
            const id = mine.shift();
            if (id) {
              await withTransaction(db, (tx) =>
                writeTerminal(tx, { taskId: id, guardRunnerId: runnerId, status: "completed", failureReason: null, error: null, result: null, turnCount: 0, sessionId: null, inputTokens: null, outputTokens: null, costUsd: null, now }),
              );
            }
          }
        }
      }
    }),
  );
  stop = true;
  await sampler;
  await Promise.all(dbs.map((db) => closePgDatabase(db as unknown as PgDb)));
  console.log(
    `${label.padEnd(34)} ${String(claims).padStart(6)} claims  ${(claims / (PHASE_MS / 1000)).toFixed(0).padStart(5)} claims/s  ` +
      `(${attempts} attempts)  max running sampled ${maxRunning} (cap ${CAP})`,
  );
}

async function main(): Promise<void> {
  let stopCluster: (() => void) | undefined;
  if (!process.env.AGENTCRON_TEST_PG_URL) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-pg-"));
    const env = { ...process.env, PG_CLUSTER_DIR: dir };
    process.env.AGENTCRON_TEST_PG_URL = execFileSync(path.resolve(__dirname, "../scripts/pg-cluster.sh"), ["start"], { env, encoding: "utf8" }).trim();
    stopCluster = () => execFileSync(path.resolve(__dirname, "../scripts/pg-cluster.sh"), ["stop"], { env, stdio: "inherit" });
  }
  const database = await createTestPgDatabase();
  try {
    console.log(`runners ${RUNNERS} (one pool each), cap ${CAP}, ${PHASE_MS} ms per phase; ${os.cpus().length} cores, Node ${process.version}`);
    await phase(database.url, "drainQueue (one lock per pass)", "drain");
    await phase(database.url, "claimTask (advisory lock, ADR 0012)", "claim");
    await phase(database.url, "old statement (no lock)", "unlocked");
  } finally {
    await dropTestPgDatabase(database);
    stopCluster?.();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
