/**
 * Clock steps and drain-until-done, black box (issue 10 faults 4 and 5, ADR 0006): the real
 * scheduler loop on the system clock with real timers and a real SQLite file, with the
 * process's wall clock stepped by libfaketime (monotonic left alone). Not a test: it prints
 * the figures for docs/benchmarks.md and needs libfaketime (`apt-get install faketime`).
 *
 *   npm run bench:clock      (≈ 45 s; re-runs itself under libfaketime)
 *
 * Phase A: a per-second schedule and a run with a 15 s lease; the wall clock steps back 1 h.
 *   Measured: time from the step to the next firing; when the lease is reaped.
 * Phase B: the same with the wall clock stepping forward 1 h.
 *   Measured: runs reaped by the step; tasks planned and missed counted by the catch-up.
 * Phase C: 370 queued tasks, cap 400: time until all are running.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";

const LIB = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"].find((p) =>
  fs.existsSync(p),
);

if (!process.env.FAKETIME_TIMESTAMP_FILE) {
  if (!LIB) {
    console.error("libfaketime not found: apt-get install -y faketime");
    process.exit(2);
  }
  const file = path.join(os.tmpdir(), `agentcron-faketime-${process.pid}`);
  fs.writeFileSync(file, "+0\n");
  const res = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, LD_PRELOAD: LIB, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1" },
  });
  fs.rmSync(file, { force: true });
  process.exit(res.status ?? 1);
}

const stepFile = process.env.FAKETIME_TIMESTAMP_FILE;
const setOffset = (offset: string) => fs.writeFileSync(stepFile, `${offset}\n`);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-clock-"));
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { getDb } = await import("../src/lib/db/client");
  const { events, schedules, tasks } = await import("../src/lib/db/schema");
  const { updateSettings } = await import("../src/lib/config/settings");
  const { startScheduler } = await import("../src/lib/scheduler/start");
  const { registerRunner } = await import("../src/lib/scheduler/runner-registry");
  const { nextOccurrence } = await import("../src/lib/schedules/cron");
  const { systemClock } = await import("../src/lib/time/clock");
  const { UNCLAIMED_RUN_STATE } = await import("../src/lib/tasks/run-state");
  const { TestRuntime, testResolver } = await import("../test/support/test-runtime");
  const { eq } = await import("drizzle-orm");

  const db = getDb();
  const q = (sql: string, ...args: unknown[]) => db.$client.prepare(sql).get(...args) as Record<string, number>;
  const queueTask = (prompt: string, createdAt: number) =>
    db
      .insert(tasks)
      .values({
        ...UNCLAIMED_RUN_STATE,
        id: randomUUID(),
        scheduleId: null,
        runtimeId: null,
        title: prompt,
        prompt,
        status: "queued",
        sourceType: "manual",
        plannedAt: null,
        attempt: 1,
        maxAttempts: 1,
        parentTaskId: null,
        notBefore: null,
        maxTurns: 10,
        maxRunDurationSec: 15,
        createdAt,
      })
      .returning()
      .get();
  const out: string[] = [];
  const runtime = new TestRuntime((input) => (input.prompt.startsWith("held") ? { hold: true } : {}));

  await updateSettings({ maxConcurrent: 400 }, Date.now(), db);
  const leaseExpired = () => q("SELECT COUNT(*) AS n FROM tasks WHERE failure_reason = 'lease_expired'").n;

  /** A fresh per-second schedule and loop at wall offset `from`, a held run (15 s lease), then the wall clock set to offset `to`. */
  const measure = async (label: string, from: string, to: string) => {
    setOffset(from);
    db.$client.exec("DELETE FROM tasks; DELETE FROM events; DELETE FROM schedules");
    const now0 = Date.now();
    const sched = db
      .insert(schedules)
      .values({ id: randomUUID(), name: "every second", prompt: "tick", cronExpression: "* * * * * *", timezone: "UTC", status: "active", maxAttempts: 1, overlapPolicy: "allow_all", catchUpPolicy: "latest", catchUpWindowSec: 2 * 3600, nextFireAt: nextOccurrence("* * * * * *", "UTC", now0), lastPlannedAt: now0, createdAt: now0, updatedAt: now0 })
      .returning()
      .get();
    const ticks = () => q("SELECT COUNT(*) AS n FROM tasks WHERE schedule_id = ?", sched.id).n;
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()), resolveRuntime: testResolver(runtime) });
    const held = queueTask(`held ${label}`, Date.now());
    loop.poke("bench");
    while (runtime.runFor(held.prompt)?.holding !== true) await sleep(10);
    const claimedMono = performance.now();
    await sleep(2000);
    const before = ticks();
    setOffset(to);
    const stepMono = performance.now();
    let firstFire: number | null = null;
    let reapedAt: number | null = null;
    while (performance.now() - claimedMono < 20_000) {
      if (firstFire == null && ticks() > before) firstFire = performance.now() - stepMono;
      const row = db.select().from(tasks).where(eq(tasks.id, held.id)).get()!;
      if (reapedAt == null && row.status !== "running") reapedAt = performance.now() - claimedMono;
      if (firstFire != null && reapedAt != null) break;
      await sleep(20);
    }
    const stepEvents = db.select().from(events).where(eq(events.kind, "clock_stepped" as never)).all().map((e) => e.data?.stepMs);
    const missed = db.select().from(events).where(eq(events.kind, "missed_occurrences")).all().pop();
    out.push(
      `| ${label} | next firing ${firstFire == null ? "none within 18 s (stalled)" : `${(firstFire / 1000).toFixed(2)} s after the step`}; ` +
        `15 s lease reaped ${reapedAt == null ? "not within 20 s" : `${(reapedAt / 1000).toFixed(1)} s after the claim`}` +
        `${leaseExpired() && reapedAt != null && reapedAt < 14_000 ? " (killed by the step)" : ""}; clock_stepped ${stepEvents.length ? `stepMs ${stepEvents.join(", ")}` : "none"}` +
        `${missed ? `; missed_occurrences count ${missed.data?.count}` : ""} |`,
    );
    for (const r of runtime.runs) r.release();
    await loop.stop();
  };

  await measure("Wall clock stepped back 1 h (A)", "+0", "-1h");
  await measure("Wall clock stepped forward 1 h (B)", "-1h", "+0");
  setOffset("+0");

  // C. Drain until done: 370 queued tasks, cap 400.
  db.$client.exec("DELETE FROM tasks; DELETE FROM schedules");
  const t = Date.now();
  for (let i = 0; i < 370; i++) queueTask("held drain", t + i);
  const started = performance.now();
  const loop2 = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()), resolveRuntime: testResolver(runtime) });
  let allAt: number | null = null;
  while (performance.now() - started < 10_000) {
    if (q("SELECT COUNT(*) AS n FROM tasks WHERE status = 'running'").n === 370) {
      allAt = performance.now() - started;
      break;
    }
    await sleep(5);
  }
  const running = q("SELECT COUNT(*) AS n FROM tasks WHERE status = 'running'").n;
  out.push(`| 370 queued tasks, cap 400 (C) | ${allAt == null ? `${running} running after 10 s, the rest wait for the next wake (≤ 1 h)` : `all 370 running ${allAt.toFixed(0)} ms after the loop started`} |`);
  for (const r of runtime.runs) r.release();
  await loop2.stop();

  console.log(`\nClock steps (libfaketime, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores)\n`);
  console.log("| Scenario | Result |\n| --- | --- |");
  for (const line of out) console.log(line);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
