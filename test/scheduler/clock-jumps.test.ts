import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { FakeClock } from "@/lib/time/clock";
import { reapExpiredLeases } from "@/lib/scheduler/lease-reaper";
import { schedulerStatus } from "@/lib/scheduler/status";
import { DRAIN_BATCH, MAX_SLEEP_MS } from "@/lib/scheduler/tuning";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { countByStatus, scheduleById, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { rowsOf } from "../support/rows";
import { TestRuntime, waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;
const HOUR = 60 * MIN;
const eventsOfKind = async (kind: string) => (await rowsOf("events")).filter((e) => e.kind === kind).sort((a, b) => a.id - b.id);

describe("wall-clock steps and suspend (issue 10 fault 4, ADR 0006)", () => {
  it("backward step of 1 h: a clock_stepped event, planning re-anchored — the next unplanned occurrence fires at its wall time, nothing planned twice", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", overlapPolicy: "allow_all" });
    const s = await startTestScheduler();
    for (const m of [5, 10]) {
      s.clock.set(T0 + m * MIN);
      await s.loop.runPass();
      await s.loop.idle();
    }
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);

    s.clock.step(-HOUR); // 12:10 → 11:10
    const report = (await s.loop.runPass())!;
    expect(report.clockJump).toMatchObject({ stepMs: -HOUR, suspendedMs: 0 });
    expect(await eventsOfKind("clock_stepped")).toHaveLength(1);
    expect((await eventsOfKind("clock_stepped"))[0].data).toMatchObject({ stepMs: -HOUR, schedulesReanchored: 1 });
    // Before: nextFireAt stayed 12:15, the watermark 12:10 — nothing for 65 minutes.
    expect((await scheduleById(sched.id))!.nextFireAt).toBe(T0 - HOUR + 15 * MIN);
    expect(report.nextWakeAt).toBe(T0 - HOUR + 15 * MIN);

    s.clock.advance(5 * MIN); // 11:15: fires at its wall time
    await s.loop.runPass();
    await s.loop.idle();
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toContain(T0 - HOUR + 15 * MIN);

    // On through the repeated hour: 12:05 and 12:10 were planned before the step and are not planned again.
    for (let t = T0 - HOUR + 20 * MIN; t <= T0 + 15 * MIN; t += 5 * MIN) {
      s.clock.set(t);
      await s.loop.runPass();
      await s.loop.idle();
    }
    const planned = (await tasksOf(sched.id)).map((t) => t.plannedAt!);
    expect(new Set(planned).size).toBe(planned.length); // no duplicate occurrence
    expect(planned.filter((p) => p === T0 + 5 * MIN)).toHaveLength(1);
    expect(planned.sort((a, b) => a - b)).toEqual([...Array.from({ length: 10 }, (_, i) => T0 - HOUR + (15 + 5 * i) * MIN), T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN]);
    expect(await eventsOfKind("clock_stepped")).toHaveLength(1);
  });

  it("a schedule already planned through the repeated interval skips its planned occurrences and fires the first unplanned one", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", overlapPolicy: "allow_all" });
    // Occurrences 12:05…12:30 planned before the step (the runner was up).
    for (let m = 5; m <= 30; m += 5) await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 + m * MIN, status: "completed" });
    const { schedules } = tablesOf(getDb());
    await run(getDb(), getDb().update(schedules).set({ lastPlannedAt: T0 + 30 * MIN, lastFiredAt: T0 + 30 * MIN, nextFireAt: T0 + 35 * MIN }).where(eq(schedules.id, sched.id)));
    const s = await startTestScheduler({ clock: new FakeClock(T0 + 30 * MIN) });
    s.clock.step(-20 * MIN); // 12:30 → 12:10
    await s.loop.runPass();
    expect(await scheduleById(sched.id)).toMatchObject({ nextFireAt: T0 + 35 * MIN, lastPlannedAt: T0 + 10 * MIN });
    s.clock.set(T0 + 35 * MIN);
    await s.loop.runPass();
    await s.loop.idle();
    expect(await tasksOf(sched.id)).toHaveLength(7);
  });

  it("a step while no runner ran: boot re-anchors a watermark left in the future", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", lastPlannedAt: T0 + HOUR, nextFireAt: T0 + HOUR + 5 * MIN });
    await startTestScheduler({ clock: new FakeClock(T0 + 2 * MIN) });
    expect(await scheduleById(sched.id)).toMatchObject({ nextFireAt: T0 + 5 * MIN, lastPlannedAt: T0 + 2 * MIN });
  });

  it("forward step of 1 h: catch-up applied once (missed counted, not run 12 times), in-flight lease not reaped for the step", async () => {
    await setCap(5);
    const held = await makeSchedule({ cronExpression: "0 0 1 1 *", prompt: "held", maxRunDurationSec: 20 * 60 });
    const every5 = await makeSchedule({ cronExpression: "*/5 * * * *", catchUpPolicy: "latest", overlapPolicy: "allow_all" });
    const runtime = new TestRuntime((input) => (input.prompt === "held" ? { hold: true } : {}));
    const s = await startTestScheduler({ runtime });
    const run = await makeTask({ scheduleId: held.id, prompt: "held", sourceType: "manual", maxRunDurationSec: 20 * 60 });
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    await waitFor(() => runtime.runs.some((r) => r.input.prompt === "held" && r.holding), "held run started");
    expect(await taskById(run.id)).toMatchObject({ status: "running", leaseExpiresAt: T0 + 25 * MIN });
    await waitFor(async () => (await tasksOf(every5.id)).every((t) => t.status === "completed"), "12:05 done");

    s.clock.step(HOUR); // 12:05 → 13:05
    const report = (await s.loop.runPass())!;
    await waitFor(async () => (await tasksOf(every5.id)).every((t) => t.status === "completed"), "13:05 done");
    expect(report.clockJump).toMatchObject({ stepMs: HOUR });
    expect(report.reaped).toEqual([]); // before: every in-flight run reaped as lease_expired
    expect(await taskById(run.id)).toMatchObject({ status: "running", leaseExpiresAt: T0 + 25 * MIN + HOUR });
    expect((await tasksOf(every5.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN, T0 + 65 * MIN]);
    const missed = (await rowsOf("events")).filter((e) => e.scheduleId === every5.id && e.kind === "missed_occurrences");
    expect(missed.map((e) => e.data?.count)).toEqual([11]);
    await s.loop.runPass();
    expect(await tasksOf(every5.id)).toHaveLength(2); // once
    expect(await eventsOfKind("lease_expired")).toHaveLength(0);

    // The lease still ends 20 minutes after the claim, on the monotonic clock.
    s.clock.advance(19 * MIN);
    expect((await s.loop.runPass())!.reaped).toEqual([]);
    s.clock.advance(MIN);
    expect((await s.loop.runPass())!.reaped).toEqual([run.id]);
  });

  it("suspend of 1 h (wall and boottime jump, monotonic frozen): system_resumed, leases extended by the suspended time, no lease_expired", async () => {
    await setCap(5, getDb(), { maxRunDurationSec: 20 * 60 });
    const runtime = new TestRuntime((input) => ({ hold: input.prompt !== "tick" }));
    const every5 = await makeSchedule({ cronExpression: "*/5 * * * *", catchUpPolicy: "latest", overlapPolicy: "allow_all", prompt: "tick" });
    const s = await startTestScheduler({ runtime });
    const run = await makeTask({});
    await s.loop.runPass();
    await waitFor(() => runtime.runs[0]?.holding, "run started");
    expect((await taskById(run.id)).leaseExpiresAt).toBe(T0 + 20 * MIN);
    s.clock.advance(5 * MIN);
    await s.loop.runPass();
    await waitFor(async () => (await tasksOf(every5.id)).length === 1 && (await tasksOf(every5.id))[0].status === "completed", "12:05 done");

    s.clock.suspend(HOUR);
    const report = (await s.loop.runPass())!;
    expect(report.clockJump).toMatchObject({ stepMs: 0, suspendedMs: HOUR });
    expect(report.reaped).toEqual([]);
    expect((await eventsOfKind("system_resumed")).map((e) => e.data)).toEqual([expect.objectContaining({ suspendedMs: HOUR, leasesExtended: 1 })]);
    expect(await eventsOfKind("clock_stepped")).toHaveLength(0);
    expect(await taskById(run.id)).toMatchObject({ status: "running", leaseExpiresAt: T0 + 20 * MIN + HOUR });
    expect(report.nextWakeAt).toBe(T0 + HOUR + 10 * MIN); // the next fire; the lease (13:20) is later
    expect(await eventsOfKind("lease_expired")).toHaveLength(0);
    // The wake applies the catch-up policy once: the newest occurrence runs, the other 11 are counted missed.
    await waitFor(async () => (await tasksOf(every5.id)).every((t) => t.status === "completed"), "catch-up run done");
    expect((await tasksOf(every5.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN, T0 + 65 * MIN]);
    expect((await rowsOf("events")).filter((e) => e.scheduleId === every5.id && e.kind === "missed_occurrences").map((e) => e.data?.count)).toEqual([11]);
    expect((await schedulerStatus(s.db)).lastClockEvent).toMatchObject({ kind: "system_resumed", data: { suspendedMs: HOUR }, createdAt: new Date(T0 + 5 * MIN + HOUR).toISOString() });

    s.clock.set(T0 + 20 * MIN + HOUR - 1);
    expect((await s.loop.runPass())!.reaped).toEqual([]);
    s.clock.advance(1);
    expect((await s.loop.runPass())!.reaped).toEqual([run.id]);
  });

  it("a suspend detected by the heartbeat (no pass ran) is handled there and wakes the loop", async () => {
    await setCap(5, getDb(), { maxRunDurationSec: 20 * 60 });
    const runtime = new TestRuntime({ hold: true });
    const s = await startTestScheduler({ runtime });
    const run = await makeTask({});
    await s.loop.runPass();
    await waitFor(() => runtime.runs[0]?.holding, "run started");
    const passes = s.loop.passCount;
    s.clock.suspend(2 * HOUR);
    await s.loop.heartbeat();
    expect(await eventsOfKind("system_resumed")).toHaveLength(1);
    expect((await taskById(run.id)).leaseExpiresAt).toBe(T0 + 20 * MIN + 2 * HOUR);
    await waitFor(() => s.loop.passCount > passes, "poked pass");
    expect((await taskById(run.id)).status).toBe("running");
  });

  it("a genuinely hung agent is still reaped on time after a −1 h step (not an hour late)", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxRunDurationSec: 120, maxAttempts: 1 });
    const runtime = new TestRuntime({ hold: true, ignoreAbort: true });
    const s = await startTestScheduler({ runtime });
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    const [hung] = await tasksOf(sched.id);
    expect(hung).toMatchObject({ status: "running", leaseExpiresAt: T0 + 5 * MIN + 120_000 });
    await waitFor(() => runtime.runs[0]?.holding, "hung run started");

    s.clock.advance(30_000);
    s.clock.step(-HOUR);
    const report = (await s.loop.runPass())!;
    expect(report.reaped).toEqual([]);
    expect((await taskById(hung.id)).leaseExpiresAt).toBe(T0 + 5 * MIN + 120_000 - HOUR);
    expect(report.nextWakeAt).toBe(T0 + 5 * MIN + 120_000 - HOUR); // the wake is armed at the true expiry

    s.clock.advance(89_999);
    expect((await s.loop.runPass())!.reaped).toEqual([]);
    s.clock.advance(1); // 120 s after the claim on the monotonic clock; before: wall 12:07, an hour on
    expect((await s.loop.runPass())!.reaped).toEqual([hung.id]);
    expect(await taskById(hung.id)).toMatchObject({ status: "failed", failureReason: "lease_expired" });
    expect(runtime.runs[0].abortedWith).toBe("lease_expired");
    runtime.runs[0].release();
  });

  it("the reaper judges this runner's leases on the monotonic clock, even before the jump is detected", async () => {
    await setCap(5, getDb(), { maxRunDurationSec: 20 * 60 });
    const runtime = new TestRuntime({ hold: true });
    const s = await startTestScheduler({ runtime });
    const run = await makeTask({});
    await s.loop.runPass();
    await waitFor(() => runtime.runs[0]?.holding, "run started");
    s.clock.step(HOUR); // not yet seen by the loop: the row's wall-clock lease looks 40 min past
    expect(await reapExpiredLeases(s.db, s.runnerId, s.clock.now(), [0], s.clock.monotonic())).toEqual([]);
    expect((await taskById(run.id)).status).toBe("running");
    s.clock.advance(20 * MIN);
    expect(await reapExpiredLeases(s.db, s.runnerId, s.clock.now(), [0], s.clock.monotonic())).toEqual([run.id]);
  });

  it("a step moves pending retry backoffs and chat-pressure holds with it: a backoff lasts its real length", async () => {
    await setCap(5);
    const retry = await makeTask({ sourceType: "retry", notBefore: T0 + 5 * MIN, pressureHeldSince: T0 });
    const s = await startTestScheduler();
    s.clock.advance(MIN);
    s.clock.step(-HOUR);
    await s.loop.runPass();
    expect(await taskById(retry.id)).toMatchObject({ status: "queued", notBefore: T0 + 5 * MIN - HOUR, pressureHeldSince: T0 - HOUR });
    s.clock.set(T0 + 5 * MIN - HOUR);
    await s.loop.runPass();
    expect((await taskById(retry.id)).status).toBe("running");
  });
});

describe("drain until done (issue 10 fault 5)", () => {
  it("370 queued tasks with a cap that allows them all start without the clock moving (a full batch re-arms the loop)", async () => {
    expect(370).toBeGreaterThan(DRAIN_BATCH);
    await setCap(400);
    for (let i = 0; i < 370; i++) await makeTask({ createdAt: T0 + i });
    const s = await startTestScheduler({ runtime: new TestRuntime({ hold: true }) });
    expect(s.loop.lastPass!.claimed).toHaveLength(DRAIN_BATCH);
    expect(s.loop.lastPass!.nextWakeAt).toBe(T0); // not T0 + MAX_SLEEP_MS
    await waitFor(async () => (await countByStatus()).running === 370, "all 370 running");
    expect(s.clock.now()).toBe(T0);
    expect(s.loop.lastPass!.nextWakeAt).toBeLessThan(T0 + MAX_SLEEP_MS + 1);
  });
});
