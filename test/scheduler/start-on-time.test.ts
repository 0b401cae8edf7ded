import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type Database from "better-sqlite3";
import { getDb } from "@/lib/db/client";
import { statementCacheStats } from "@/lib/db/statement-cache";
import type { SchedulerLoop } from "@/lib/scheduler/loop";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { startScheduler } from "@/lib/scheduler/start";
import { FakeClock } from "@/lib/time/clock";
import { runScheduleNow } from "@/lib/tasks/manual-run";
import { makeSchedule, T0, truncateAll } from "../factories";
import { BACKOFF_MS, setCap, taskById, tasksOf } from "../support/scheduler-harness";
import { rowsOf } from "../support/rows";
import { TestRuntime, testResolver, waitFor } from "../support/test-runtime";

/** A fake clock on which every wall-clock read inside a pass costs `perReadMs` (a busy pass). */
class BusyClock extends FakeClock {
  perReadMs = 0;
  override now(): number {
    const t = super.now();
    if (this.perReadMs) this.advance(this.perReadMs);
    return t;
  }
}

const loops: SchedulerLoop[] = [];
beforeEach(async () => truncateAll());
afterEach(async () => {
  vi.restoreAllMocks();
  for (const loop of loops.splice(0)) {
    loop.halt();
    await loop.stop();
  }
});

/** A loop whose runtime resolutions (each one precedes a spawn) are counted. */
/** `onResolve` runs as each launch resolves its runtime, the step before its spawn. */
async function start(clock: FakeClock, runtime: TestRuntime, timers = false, onResolve?: () => unknown) {
  const db = getDb();
  const resolver = testResolver(runtime);
  const resolved: string[] = [];
  const loop = await startScheduler({
    db,
    clock,
    runnerId: await registerRunner(db, clock.now()),
    resolveRuntime: async (d, id) => {
      resolved.push(String(id));
      await onResolve?.();
      return resolver(d, id);
    },
    timers,
    deferLaunches: true, // what production does (the real-timer loop)
    retryBackoffMs: BACKOFF_MS,
  });
  loops.push(loop);
  return { loop, resolved };
}

describe("agents start on time (issue 15 item 0)", () => {
  it("arms the wake from the clock read after the pass, not the pass's start", async () => {
    await setCap(5);
    await makeSchedule({ cronExpression: "*/5 * * * *" });
    const clock = new BusyClock(T0 + 1);
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const { loop } = await start(clock, new TestRuntime(), true);
    clock.perReadMs = 40; // the pass's work moves the clock on
    setTimeoutSpy.mockClear();
    const report = (await loop.runPass())!;
    clock.perReadMs = 0;
    expect(report.nextWakeAt).toBe(T0 + 5 * 60_000);
    // The delay is counted from a read after the pass's work: shorter than from its start.
    expect(report.armDelayMs).toBeLessThan(report.nextWakeAt - report.at);
    expect(report.armDelayMs).toBeGreaterThan(0);
    const armed = setTimeoutSpy.mock.calls.map((c) => c[1]);
    expect(armed).toContain(report.armDelayMs);
    expect(armed).not.toContain(report.nextWakeAt - report.at);
  });

  it("a wake timer that fires a little before its instant waits out the rest instead of running an empty pass", async () => {
    await setCap(5);
    const schedule = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const clock = new FakeClock(T0 + 1);
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const { loop } = await start(clock, new TestRuntime(), true);
    setTimeoutSpy.mockClear();
    const report = (await loop.runPass())!;
    const wakeAt = report.nextWakeAt;
    const armedWith = (delay: number) => setTimeoutSpy.mock.calls.filter((c) => c[1] === delay).map((c) => c[0] as () => void);
    const [wake] = armedWith(report.armDelayMs);
    expect(wake).toBeTypeOf("function");
    await loop.passesSettled();
    const passes = loop.passCount;
    // Node fired the timer 2 ms early by the wall clock: no pass, the rest is armed.
    clock.set(wakeAt - 2);
    setTimeoutSpy.mockClear();
    wake();
    await loop.passesSettled();
    expect(loop.passCount).toBe(passes);
    const [rest] = armedWith(2);
    expect(rest).toBeTypeOf("function");
    // On time: the pass runs and starts the occurrence.
    clock.set(wakeAt);
    rest();
    await waitFor(() => loop.passCount > passes, "the on-time pass");
    await loop.passesSettled();
    expect(await tasksOf(schedule.id)).toHaveLength(1); // it planned and started the occurrence
  });

  it("a pass gives the event loop turns between its phases: a chat delta or a request never waits for a whole pass", async () => {
    await setCap(5);
    await makeSchedule({ cronExpression: "*/5 * * * *" });
    const clock = new FakeClock(T0);
    const { loop } = await start(clock, new TestRuntime());
    clock.set(T0 + 5 * 60_000);
    const order: string[] = [];
    // Queued on the event loop before the pass starts: on SQLite (synchronous statements) a
    // pass without yields ran to its end in microtasks first.
    setImmediate(() => order.push("other work"));
    const passDone = loop.runPass().then((r) => {
      order.push("pass done");
      return r;
    });
    const report = (await passDone)!;
    expect(report.claimed).toHaveLength(1); // a real pass: it planned and claimed the occurrence
    expect(order).toEqual(["other work", "pass done"]);
  });

  it("with its liveness timer running, a pass stamps the heartbeat at most once a second (instances wake each other often)", async () => {
    const clock = new FakeClock(T0);
    const { loop } = await start(clock, new TestRuntime(), true);
    const stamp = async () => (await rowsOf("runners")).find((r) => r.id === loop.runnerId)!.heartbeatAt;
    await loop.runPass();
    expect(await stamp()).toBe(T0);
    clock.advance(600);
    await loop.runPass();
    expect(await stamp()).toBe(T0); // 0.6 s later: not again
    clock.advance(600);
    await loop.runPass();
    expect(await stamp()).toBe(T0 + 1_200);
  });

  it("launches start once the pass's claims are committed, without the pass waiting for them; all of them start", async () => {
    await setCap(10);
    const schedules = await Promise.all(Array.from({ length: 3 }, () => makeSchedule({ cronExpression: "*/5 * * * *" })));
    const clock = new FakeClock(T0);
    const runtime = new TestRuntime({ hold: true });
    const statusAtResolve: string[] = [];
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { loop, resolved } = await start(clock, runtime, false, async () => {
      // Read from the database as a launch resolves its runtime (just before it spawns)…
      for (const s of schedules) statusAtResolve.push(...(await tasksOf(s.id)).map((t) => t.status));
      await gate; // …and hold every launch there until the pass has returned.
    });
    clock.set(T0 + 5 * 60_000);
    const report = (await loop.runPass())!;
    expect(report.claimed).toHaveLength(3);
    // The pass returned while its launches were held before their spawns: it never waits for them.
    expect(runtime.runs).toHaveLength(0);
    openGate();
    await waitFor(() => runtime.runs.length === 3 && runtime.runs.every((r) => r.holding), "all three runs started");
    expect(resolved).toHaveLength(3);
    // No launch ever saw its task unclaimed: the claim had committed before it started.
    expect(statusAtResolve).toHaveLength(9);
    expect(new Set(statusAtResolve)).toEqual(new Set(["running"]));
    for (const r of runtime.runs) r.release();
    await loop.idle();
    for (const s of schedules) expect((await taskById((await tasksOf(s.id))[0].id)).status).toBe("completed");
  });

  it("Run now claims and starts its run without a scheduler pass", async () => {
    await setCap(2);
    const s = await makeSchedule({ cronExpression: "0 0 1 1 *", maxRunDurationSec: 30 });
    const clock = new FakeClock(T0);
    const runtime = new TestRuntime({ hold: true });
    const { loop, resolved } = await start(clock, runtime);
    const passes = loop.passCount;
    const { taskId } = await runScheduleNow(getDb(), s.id, false);
    const resolvedAtReturn = resolved.length; // before any other await (see above)
    expect(resolvedAtReturn).toBe(0); // spawned after the request returned
    expect((await taskById(taskId)).status).toBe("running");
    await waitFor(() => runtime.runs[0]?.holding === true, "the manual run started");
    expect(loop.passCount).toBe(passes);
    expect(loop.lastPass!.nextWakeAt).toBe(T0 + 30_000); // the wake moved up to its lease expiry
    runtime.runs[0].release();
    await waitFor(async () => (await taskById(taskId)).status === "completed", "the manual run finished");
  });

  it("a halted loop gives up launches it had not spawned yet: their rows stay running for recovery", async () => {
    await setCap(5);
    const scheds = await Promise.all(Array.from({ length: 3 }, () => makeSchedule({ cronExpression: "*/5 * * * *" })));
    const clock = new FakeClock(T0);
    const runtime = new TestRuntime({ hold: true });
    // The process freezes (halt) as the first launch starts: the two queued behind it never spawn.
    const started = await start(clock, runtime, false, () => started.loop.halt());
    clock.set(T0 + 5 * 60_000);
    expect((await started.loop.runPass())!.claimed).toHaveLength(3);
    await waitFor(() => started.resolved.length >= 1, "the first launch");
    await new Promise((r) => setTimeout(r, 50));
    expect(started.resolved).toHaveLength(1);
    for (const s of scheds) expect((await tasksOf(s.id))[0].status).toBe("running");
  });

  // SQLite only by design: better-sqlite3 prepares statements on the client, once per
  // connection (preparedAll's cache), and this counts those prepares. PostgreSQL plans
  // statements on the server; node-postgres has no client-side prepare to count.
  const onSqlite = getDb().$dialect === "sqlite" ? it : it.skip;
  onSqlite("an idle pass compiles no SQL statement after the first (hot statements are prepared once)", async () => {
    await setCap(2);
    await makeSchedule({ cronExpression: "*/5 * * * *" });
    const clock = new FakeClock(T0);
    const { loop } = await start(clock, new TestRuntime());
    await loop.runPass();
    const client = getDb().$client as Database.Database;
    const before = statementCacheStats(client)!;
    clock.advance(1_000);
    await loop.runPass();
    const after = statementCacheStats(client)!;
    expect(after.compiles).toBe(before.compiles); // every statement of the pass was compiled by the first one (ADR 0031)
  });
});
