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
 * (claimTask in its own transaction: Run now), and the old unlocked statement — all from
 * one process with a pool per runner; then (issue 14 item 7) the same drain from 4 runner
 * PROCESSES (bench/pg-cap-runner.ts), without groups and with concurrency groups; then the
 * firing lateness of 4 real scheduler loops (processes) on per-second schedules.
 * Env: PG_BENCH_RUNNERS (4), PG_BENCH_CAP (20), PG_BENCH_MS per phase (8000),
 * PG_BENCH_PHASES (comma-separated subset of drain,claim,unlocked,processes,groups,lateness),
 * PG_BENCH_NODE_ARGS (extra node flags for the runner processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { openPgHandle, withTransaction, type Db } from "../src/lib/db/client";
import { closePgDatabase, type PgDb } from "../src/lib/db/pg";
import { claimTask, countRunning, selectDrainCandidates } from "../src/lib/db/queries/slots";
import { writeTerminal } from "../src/lib/db/queries/task-runs";
import { getSettings, updateSettings } from "../src/lib/config/settings";
import { countActiveTasksPerGroup, upsertGroupCap } from "../src/lib/db/queries/concurrency-groups";
import { drainQueue } from "../src/lib/scheduler/drain";
import { execute, rows, run, tablesOf } from "../src/lib/db/sql";
import { createTestPgDatabase, dropTestPgDatabase } from "../test/support/pg-test-db";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const RUNNERS = Number(process.env.PG_BENCH_RUNNERS ?? 4);
const CAP = Number(process.env.PG_BENCH_CAP ?? 20);
const PHASE_MS = Number(process.env.PG_BENCH_MS ?? 8000);
/** The parent's running-count sampler pauses this long between counts (ms; PG_BENCH_SAMPLE_MS). */
const SAMPLE_EVERY_MS = Number(process.env.PG_BENCH_SAMPLE_MS ?? 20);
/** The lateness phase's loops run this long before their occurrences count (ms; PG_BENCH_LATENESS_WARMUP_MS). */
const LATENESS_WARMUP_MS = Number(process.env.PG_BENCH_LATENESS_WARMUP_MS ?? 10_000);
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

/** Seeds `n` queued manual tasks (createdAt in order), `group(i)` naming each one's concurrency group. */
async function seed(db: Db, n: number, group: (i: number) => string | null = () => null): Promise<void> {
  const { tasks } = tablesOf(db);
  for (let b = 0; b < n / 1000; b++) {
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      id: `t${b}-${i}`, title: "t", prompt: "p", status: "queued" as const, sourceType: "manual" as const, rootSourceType: "manual" as const,
      maxTurns: 1, maxAttempts: 1, createdAt: T0 + b * 1000 + i, concurrencyGroup: group(b * 1000 + i),
    }));
    await run(db, db.insert(tasks).values(rows));
  }
}

/**
 * Runs `RUNNERS` copies of bench/pg-cap-runner.ts and resolves their JSON answers. Each prints
 * "ready" once connected; all get "go" on stdin together, so the measured windows coincide.
 */
function runnerProcesses(url: string, env: Record<string, string>, onGo?: (at: number) => void): Promise<Record<string, unknown>[]> {
  let ready = 0;
  const children: ReturnType<typeof spawn>[] = [];
  return Promise.all(
    Array.from({ length: RUNNERS }, (_, k) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const child = spawn(process.execPath, [...(process.env.PG_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), "--conditions=react-server", "--import", "tsx", path.resolve(__dirname, "pg-cap-runner.ts")], {
          env: { ...process.env, PG_RUNNER_URL: url, PG_RUNNER_ID: `p${k}`, PG_RUNNER_MS: String(PHASE_MS), PG_RUNNER_CAP: String(CAP), ...env },
          stdio: ["pipe", "pipe", "inherit"],
        });
        children.push(child);
        let out = "";
        child.stdout!.on("data", (d) => {
          out += d;
          if (process.env.PG_BENCH_DEBUG) console.error(`[runner ${k}] ${String(d).slice(0, 80)}`);
          if (out.startsWith("ready\n") && !(child as { counted?: boolean }).counted) {
            (child as { counted?: boolean }).counted = true;
            out = out.slice(6);
            if (++ready === RUNNERS) {
              onGo?.(Date.now());
              for (const c of children) c.stdin!.write("go\n");
            }
          }
        });
        child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`runner ${k} exited ${code}`))));
      }),
    ),
  );
}

/**
 * Busy CPU of the whole machine from /proc/stat (Linux): called without an argument it
 * returns a start mark; with the mark, the busy core-seconds since then and their share of
 * all cores' time. Tells whether a phase was bound by CPU.
 */
function machineBusy(since?: { busy: number; total: number }): { busy: number; total: number; seconds: number; share: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  const busyTicks = total - idle;
  const hz = 100; // USER_HZ on Linux
  if (!since) return { busy: busyTicks, total, seconds: 0, share: 0 };
  return { busy: busyTicks, total, seconds: (busyTicks - since.busy) / hz, share: (busyTicks - since.busy) / Math.max(1, total - since.total) };
}

/**
 * The drain from RUNNERS processes (issue 14 item 7's setting): claims/s in total, drain time
 * percentiles, and the running count sampled from the parent's own connection. With `groups`,
 * tasks cycle over 10 concurrency groups capped at 2 each (so at most 20 of them run) plus
 * ungrouped tasks, and the per-group running maximum is sampled too.
 */
async function processPhase(url: string, label: string, groups: boolean): Promise<void> {
  const { db: seedDb, ready } = openPgHandle(url, { poolSize: 2, applicationName: "bench-cap-seed" });
  await ready;
  await execute(seedDb, sql`TRUNCATE tasks CASCADE`);
  await execute(seedDb, sql`DELETE FROM concurrency_groups`);
  const N = Number(process.env.PG_BENCH_TASKS ?? 120_000);
  if (groups) {
    for (let g = 0; g < 10; g++) await upsertGroupCap(seedDb, `g${g}`, 2, T0);
    await seed(seedDb, N, (i) => (i % 2 === 0 ? `g${(i / 2) % 10}` : null));
  } else await seed(seedDb, N);
  let stop = false;
  let maxRunning = 0;
  let maxGroup = 0;
  let samples = 0;
  const sampler = (async () => {
    while (!stop) {
      maxRunning = Math.max(maxRunning, await countRunning(seedDb));
      if (groups) for (const g of await countActiveTasksPerGroup(seedDb)) if (g.status === "running") maxGroup = Math.max(maxGroup, g.n);
      samples++;
      // A cross-check from outside the runners, paced: every 2 ms it took ~0.2 of the 2 cores the
      // runners and PostgreSQL share, plus PostgreSQL's share of its counts (2026-12-03). The exact
      // figure is each claim's own count under the cap's lock (maxRunningAfter, every claim), and
      // the cap is proven by test/db/pg/cap-concurrency.test.ts.
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
    }
  })();
  let busy0 = machineBusy();
  let parentCpu0 = process.cpuUsage();
  const answers = await runnerProcesses(url, { PG_RUNNER_MODE: "drain" }, () => {
    busy0 = machineBusy();
    parentCpu0 = process.cpuUsage();
  });
  stop = true;
  await sampler;
  const busy = machineBusy(busy0);
  const parentCpu = process.cpuUsage(parentCpu0);
  await closePgDatabase(seedDb as unknown as PgDb);
  const claims = answers.reduce((a, r) => a + (r.claims as number), 0);
  const drains = answers.reduce((a, r) => a + (r.drains as number), 0);
  const drainMs = answers.flatMap((r) => r.drainMs as number[]).sort((a, b) => a - b);
  const pct = (p: number) => drainMs[Math.min(drainMs.length - 1, Math.ceil((p / 100) * drainMs.length) - 1)].toFixed(1);
  console.log(
    `${label.padEnd(34)} ${String(claims).padStart(6)} claims  ${(claims / (PHASE_MS / 1000)).toFixed(0).padStart(5)} claims/s  ` +
      `(per runner ${answers.map((r) => r.claims as number).join(" / ")}; ${drains} drains, ${answers.reduce((a, r) => a + (r.emptyDrains as number), 0)} of them empty, ${(claims / Math.max(1, drains)).toFixed(1)} claims per drain; drain p50 ${pct(50)} ms, p99 ${pct(99)} ms)  ` +
      `max running after a claim ${Math.max(...answers.map((r) => r.maxRunningAfter as number))} (cap ${CAP}; every claim, counted under the lock); ` +
      `sampled ${maxRunning}${groups ? `, max of one group ${maxGroup} (group cap 2)` : ""}, ${samples} samples`,
  );
  const runnerCpu = answers.reduce((a, r) => a + (r.cpuMs as number), 0);
  console.log(
    `${"".padEnd(34)} CPU: machine ${(busy.share * 100).toFixed(0)} % busy over the phase (${busy.seconds.toFixed(1)} core-s); ` +
      `runner processes ${(runnerCpu / 1000).toFixed(1)} s (${(runnerCpu / Math.max(1, claims)).toFixed(2)} ms per claim); ` +
      `bench parent incl. sampler ${((parentCpu.user + parentCpu.system) / 1e6).toFixed(1)} s; the rest is PostgreSQL`,
  );
}

/**
 * Firing lateness with 4 runner processes, each a real SchedulerLoop (system clock, real
 * timers, instant test-runtime runs) on the same database: 20 per-second schedules for
 * LATENESS_WARMUP_MS + PHASE_MS; lateness = claim − nominal occurrence (schedule_firing_metrics)
 * of the occurrences after the warm-up. The warm-up stands for runners that have been up a
 * while: in a fresh process V8 runs the pass's code unoptimized for its first few dozen passes,
 * 2–4× slower (bench:start measured planning at 2.1 ms over the first 40 passes, 0.84 ms warm).
 */
async function latenessPhase(url: string): Promise<void> {
  const { db, ready } = openPgHandle(url, { poolSize: 2, applicationName: "bench-lateness" });
  await ready;
  await execute(db, sql`TRUNCATE tasks, schedules, schedule_firing_metrics, runners CASCADE`);
  await updateSettings({ maxConcurrent: 100 }, Date.now(), db);
  const { schedules, scheduleFiringMetrics } = tablesOf(db);
  const now = Date.now() + 3000;
  await run(
    db,
    db.insert(schedules).values(
      Array.from({ length: 20 }, (_, i) => ({
        id: `s${i}`, name: `s${i}`, prompt: `p${i}`, cronExpression: "* * * * * *", timezone: "UTC", status: "active" as const, maxAttempts: 1,
        overlapPolicy: "skip" as const, nextFireAt: Math.ceil(now / 1000) * 1000, lastPlannedAt: now, createdAt: now, updatedAt: now,
      })),
    ),
  );
  let goAt = 0;
  await runnerProcesses(url, { PG_RUNNER_MODE: "loop", PG_RUNNER_MS: String(LATENESS_WARMUP_MS + PHASE_MS) }, (at) => (goAt = at));
  // Occurrences after the warm-up (at least 1 s: before it, the first loops catch up alone).
  const fired = await run(db, db.select({ l: scheduleFiringMetrics.latenessMs, p: scheduleFiringMetrics.plannedAt }).from(scheduleFiringMetrics));
  const counted = fired.filter((r) => r.p != null && r.p >= goAt + Math.max(1000, LATENESS_WARMUP_MS));
  const lateness = counted.map((r) => r.l).sort((a, b) => a - b);
  // The 20 schedules share each second: one slow pass makes a whole second late.
  const worstPerSecond = new Map<number, number>();
  for (const r of counted) worstPerSecond.set(r.p!, Math.max(worstPerSecond.get(r.p!) ?? 0, r.l));
  const runners = await rows<{ runner: string; n: number }>(db, sql`SELECT runner_id AS "runner", COUNT(*)::int AS "n" FROM tasks WHERE runner_id IS NOT NULL GROUP BY runner_id ORDER BY 1`);
  await closePgDatabase(db as unknown as PgDb);
  const pct = (p: number) => lateness[Math.min(lateness.length - 1, Math.ceil((p / 100) * lateness.length) - 1)];
  console.log(
    `lateness, ${RUNNERS} scheduler processes, 20 per-second schedules, ${PHASE_MS} ms after ${LATENESS_WARMUP_MS} ms of warm-up: ${lateness.length} firings, ` +
      `p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${lateness[lateness.length - 1]} ms; tasks per runner ${runners.map((r) => r.n).join(" / ")}; ` +
      `latest firing of each second: ${[...worstPerSecond].sort((a, b) => a[0] - b[0]).map(([, l]) => l).join(" ")} ms`,
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
    const phases = new Set((process.env.PG_BENCH_PHASES ?? "drain,claim,unlocked,processes,groups,lateness").split(","));
    if (phases.has("drain")) await phase(database.url, "drainQueue (one lock per pass)", "drain");
    if (phases.has("claim")) await phase(database.url, "claimTask (advisory lock, ADR 0012)", "claim");
    if (phases.has("unlocked")) await phase(database.url, "old statement (no lock)", "unlocked");
    if (phases.has("processes")) await processPhase(database.url, `drain, ${RUNNERS} processes`, false);
    if (phases.has("groups")) await processPhase(database.url, `drain, ${RUNNERS} processes, groups`, true);
    if (phases.has("lateness")) await latenessPhase(database.url);
  } finally {
    await dropTestPgDatabase(database);
    stopCluster?.();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
