/**
 * Start-latency benchmark (issue 15 item 0, "Start agents on time"): how long after its
 * occurrence an agent PROCESS is running, beside the cost of a bare `spawn` of the same
 * command. Real SQLite file in a temp dir, real scheduler loop on the system clock and real
 * timers, the real `command` runtime spawning `/bin/sh -c '/bin/date +%s%N >> marks'`: the
 * child writes the wall-clock instant it ran (ns), so "started" is measured by the child
 * itself. Not a test: it prints figures for docs/benchmarks.md.
 *
 *   npm run bench:start                          (≈ 1.5 min; runs in the executor host, ADR 0022)
 *   BENCH_EXECUTOR=inline npm run bench:start    (the same, runs on the main thread)
 *
 * 1. Bare spawn: the same argv spawned directly, call → child's mark.
 * 2. Fire → started for 1, 5 and 10 simultaneous per-second schedules (mark − occurrence).
 * 3. An occurrence due 1 s after a burst of 10 launches: its firing lateness (firing metrics:
 *    claim − occurrence) and mark − occurrence.
 * 4. Run now: POST /api/schedules/:id/execute?force=true through the route handler
 *    in-process → 202 latency, and runs/s until every run's process has started.
 *
 * Targets: fire→started p99 ≤ bare spawn + 20 ms (≤ 10 simultaneous); post-burst occurrence
 * p99 ≤ 20 ms late; Run now p50 ≤ 15 ms and ≥ 100 runs/s.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-start-"));
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const marksFile = path.join(dataDir, "marks");
/** The child appends "<wall ns> <prompt>": the instant it ran, and which task it is. */
const ARGV = ["/bin/sh", "-c", `/bin/date "+%s%N $0" >> ${marksFile}`, "{prompt}"];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const fmt = (n: number, d = 1) => n.toFixed(d);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1], n: s.length };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Marks written so far: prompt → wall ms the child ran. */
function readMarks(): Map<string, number> {
  const out = new Map<string, number>();
  if (!fs.existsSync(marksFile)) return out;
  for (const line of fs.readFileSync(marksFile, "utf8").split("\n")) {
    const [ns, key] = line.trim().split(" ");
    if (key) out.set(key, Number(BigInt(ns) / 1000n) / 1000);
  }
  return out;
}

async function main() {
  const { getDb } = await import("../src/lib/db/client");
  const { schedules, tasks, scheduleFiringMetrics, runtimes } = await import("../src/lib/db/schema");
  const { updateSettings } = await import("../src/lib/config/settings");
  const { startScheduler } = await import("../src/lib/scheduler/start");
  const { registerRunner } = await import("../src/lib/scheduler/runner-registry");
  const { nextOccurrence } = await import("../src/lib/schedules/cron");
  const { systemClock } = await import("../src/lib/time/clock");
  const { commandConfigSchema } = await import("../src/lib/runtimes/config");
  const { eq } = await import("drizzle-orm");

  const db = getDb();
  // A stored default runtime, resolved by the registry as in the server: its runs execute in the
  // executor host's worker thread (ADR 0022), or inline with BENCH_EXECUTOR=inline.
  if (process.env.BENCH_EXECUTOR === "inline") process.env.AGENTCRON_EXECUTOR = "inline";
  db.insert(runtimes)
    .values({ id: randomUUID(), name: "bench", kind: "command", config: commandConfigSchema.parse({ command: ARGV, promptVia: "arg" }), isDefault: true, createdAt: Date.now(), updatedAt: Date.now() })
    .run();
  // Started at boot in the server: warm the host so the first measured run doesn't load it.
  const { executorHost, executorStatus } = await import("../src/lib/runtimes/executor-host/host");
  await executorHost();
  // …and its spawner processes (ADR 0028; AGENTCRON_SPAWNERS=0 = spawn in-process, the baseline).
  const { warmSpawners } = await import("../src/lib/runtimes/spawner/client");
  if (process.env.AGENTCRON_EXECUTOR === "inline") await warmSpawners();
  for (let i = 0; i < 60 && !executorStatus().spawner; i++) await sleep(100);
  console.log(`executor: ${JSON.stringify(executorStatus())}`);
  const reset = () => {
    db.$client.exec("DELETE FROM task_events; DELETE FROM schedule_firing_metrics; DELETE FROM events; DELETE FROM tasks; DELETE FROM schedules;");
    fs.rmSync(marksFile, { force: true });
  };
  const insertSchedule = (cronExpression: string, now: number, name: string = randomUUID()) => {
    const id = randomUUID();
    db.insert(schedules)
      .values({ id, name, prompt: id, cronExpression, timezone: "UTC", status: "active", maxAttempts: 1, overlapPolicy: "allow_all", nextFireAt: nextOccurrence(cronExpression, "UTC", now), lastPlannedAt: now, createdAt: now, updatedAt: now })
      .run();
    return id;
  };
  /** mark − plannedAt (ms) for each scheduled task of `scheduleIds` whose process ran. */
  const startDelays = (scheduleIds: string[]) => {
    const out: number[] = [];
    // The prompt is the schedule id: each mark line names its schedule.
    const lines = fs.existsSync(marksFile) ? fs.readFileSync(marksFile, "utf8").trim().split("\n") : [];
    const planned = new Map<string, number[]>();
    for (const sid of scheduleIds) {
      planned.set(
        sid,
        db.select({ p: tasks.plannedAt }).from(tasks).where(eq(tasks.scheduleId, sid)).all().flatMap((r) => (r.p == null ? [] : [r.p])).sort((a, b) => a - b),
      );
    }
    const marksOf = new Map<string, number[]>();
    for (const line of lines) {
      const [ns, sid] = line.split(" ");
      if (!planned.has(sid)) continue;
      marksOf.set(sid, [...(marksOf.get(sid) ?? []), Number(BigInt(ns) / 1000n) / 1000]);
    }
    // Runs of one schedule start in occurrence order: pair the k-th start with the k-th occurrence.
    for (const [sid, ms] of marksOf) {
      const ps = planned.get(sid)!;
      ms.sort((a, b) => a - b).forEach((m, k) => {
        if (ps[k] != null) out.push(m - ps[k]);
      });
    }
    return out;
  };
  const results: string[] = [];
  const push = (row: string) => {
    results.push(row);
    console.log(row);
  };

  // 1. Bare spawn of the same argv, sequential, from this (idle) process.
  let bareP99 = 0;
  {
    reset();
    const xs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const key = `bare${i}`;
      const tCall = performance.timeOrigin + performance.now();
      const child = spawn(ARGV[0], [ARGV[1], ARGV[2], key], { stdio: "ignore", detached: true });
      await new Promise((r) => child.once("exit", r));
      xs.push(readMarks().get(key)! - tCall);
    }
    const s = stats(xs);
    bareP99 = s.p99;
    push(`| Bare \`spawn\` of the same argv (call → child ran), 100 sequential | p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms | — |`);
  }

  // 2. Fire → started for N simultaneous per-second schedules.
  for (const n of [1, 5, 10]) {
    reset();
    await updateSettings({ maxConcurrent: 100 }, Date.now(), db);
    const ids = Array.from({ length: n }, () => insertSchedule("* * * * * *", Date.now()));
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()) });
    await sleep(15_000);
    await loop.stop();
    await sleep(300);
    const s = stats(startDelays(ids));
    push(`| Fire → agent process started, ${n} simultaneous per-second schedule(s), 15 s | ${s.n} runs: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, max ${fmt(s.max)} ms | p99 ≤ ${fmt(bareP99 + 20)} ms (bare p99 + 20) |`);
  }

  // 3. An occurrence due 1 s after a burst of 10 launches (burst on even seconds, probe on odd).
  {
    reset();
    await updateSettings({ maxConcurrent: 100 }, Date.now(), db);
    for (let i = 0; i < 10; i++) insertSchedule("0-58/2 * * * * *", Date.now());
    const probe = insertSchedule("1-59/2 * * * * *", Date.now(), "probe");
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()) });
    await sleep(40_000);
    await loop.stop();
    await sleep(300);
    const late = stats(db.select({ l: scheduleFiringMetrics.latenessMs }).from(scheduleFiringMetrics).where(eq(scheduleFiringMetrics.scheduleId, probe)).all().map((r) => r.l));
    const started = stats(startDelays([probe]));
    push(`| Occurrence due 1 s after a burst of 10 launches, 40 s | ${late.n} probes: firing lateness p50 ${fmt(late.p50, 0)} ms, p99 ${fmt(late.p99, 0)} ms, max ${fmt(late.max, 0)} ms; fire → process started p50 ${fmt(started.p50)} ms, p99 ${fmt(started.p99)} ms | lateness p99 ≤ 20 ms |`);
  }

  // 4. Run now through the route handler, in-process.
  {
    reset();
    await updateSettings({ maxConcurrent: 1000 }, Date.now(), db);
    const sid = insertSchedule("0 0 1 1 *", Date.now(), "run-now");
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()) });
    const { POST } = await import("../src/app/api/schedules/[id]/execute/route");
    const post = async () => {
      const res = await POST(new Request(`http://127.0.0.1:3000/api/schedules/${sid}/execute?force=true`, { method: "POST", headers: { host: "127.0.0.1:3000" } }), { params: Promise.resolve({ id: sid }) });
      if (res.status !== 202) throw new Error(`Run now answered ${res.status}: ${await res.text()}`);
    };
    for (let i = 0; i < 10; i++) await post(); // warm-up (route module, statements)
    await loop.idle();
    fs.rmSync(marksFile, { force: true });
    const N = 200;
    const lat: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await post();
      lat.push(performance.now() - t);
      // Requests arrive as separate I/O events: let the event loop turn between them.
      await new Promise((r) => setImmediate(r));
    }
    while ((fs.existsSync(marksFile) ? fs.readFileSync(marksFile, "utf8").trim().split("\n").length : 0) < N) await sleep(1);
    const elapsed = performance.now() - t0;
    await loop.idle();
    await loop.stop();
    const s = stats(lat);
    push(`| Run now: POST /execute?force=true → 202, in-process route handler, ${N} sequential | p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms; ${fmt((N * 1000) / elapsed, 0)} runs/s (until all ${N} processes had started) | p50 ≤ 15 ms, ≥ 100 runs/s |`);
  }

  console.log(`\nStart latency — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`);
  console.log("| Measure | Result | Target |\n| --- | --- | --- |");
  for (const r of results) console.log(r);
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
