import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { METRICS_RETENTION_MS, PLAN_ERROR_BACKOFF_MS } from "@/lib/scheduler/tuning";
import { systemClock } from "@/lib/time/clock";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { scheduleById, setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "../support/scheduler-harness";
import { installFault, removeFault } from "../support/fault-triggers";
import { rowsOf } from "../support/rows";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

describe("the loop", () => {
  it("arms its wake at the earliest of next fire, a retry's notBefore and a lease expiry — no fixed poll", async () => {
    await setCap(2);
    await makeSchedule({ cronExpression: "*/5 * * * *" });
    await makeTask({ status: "queued", notBefore: T0 + 2 * MIN });
    const s = await startTestScheduler();
    expect(s.loop.lastPass!.nextWakeAt).toBe(T0 + 2 * MIN);
    s.clock.set(T0 + 2 * MIN);
    s.runtime.setScript({ hold: true });
    await s.loop.runPass();
    expect(s.loop.lastPass!.claimed).toHaveLength(1);
    expect(s.loop.lastPass!.nextWakeAt).toBe(T0 + 5 * MIN); // next fire; the lease (20 min) is later
  });

  it("runPass asked during a pass resolves with a pass that started after the call, not the stale one", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    const first = s.loop.runPass(); // in progress until its first statement resolves
    s.clock.set(T0 + 10 * MIN);
    const second = s.loop.runPass(); // asked during the first
    const [a, b] = [(await first)!, (await second)!];
    expect(a.at).toBe(T0 + 5 * MIN);
    expect(b.at).toBe(T0 + 10 * MIN);
    expect(a.plans.map((p) => p.scheduleId)).toEqual([sched.id]);
    expect(b.plans.map((p) => p.scheduleId)).toEqual([sched.id]); // the 12:10 occurrence, planned by the pass the caller awaited
    await s.loop.idle();
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);
  });

  it("wakes itself on real timers: a per-second schedule fires without anyone calling runPass", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "* * * * * *", createdAt: systemClock.now(), overlapPolicy: "allow_all" });
    await startTestScheduler({ clock: systemClock, timers: true });
    await waitFor(async () => (await tasksOf(sched.id)).filter((t) => t.status === "completed").length >= 2, "two firings", 5000);
    const [a, b] = (await tasksOf(sched.id)).map((t) => t.plannedAt!).sort();
    expect(b - a).toBe(1000);
  });

  it("a schedule whose planning throws is isolated and backed off; the others are planned; it resumes after the backoff", async () => {
    await setCap(5);
    const broken = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const fine = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const db = getDb();
    await installFault(db, { name: "broken_insert", table: "tasks", event: "INSERT", when: `NEW.schedule_id = '${broken.id}'`, message: "disk says no" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    const report = (await s.loop.runPass())!;
    expect(report.errors).toEqual([]);
    expect(await tasksOf(fine.id)).toHaveLength(1);
    expect(await tasksOf(broken.id)).toHaveLength(0);
    expect((await scheduleById(broken.id))!.nextFireAt).toBe(T0 + 5 * MIN); // untouched: rolled back
    expect(report.nextWakeAt).toBe(T0 + 5 * MIN + PLAN_ERROR_BACKOFF_MS); // no hot loop on the broken one
    await removeFault(db, { name: "broken_insert", table: "tasks" });
    await s.loop.runPass();
    expect(await tasksOf(broken.id)).toHaveLength(0); // still backing off
    s.clock.set(T0 + 5 * MIN + PLAN_ERROR_BACKOFF_MS);
    await s.loop.runPass();
    await s.loop.idle();
    expect((await tasksOf(broken.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN]); // latest, within the window
  });

  it("an exception in a phase is caught and reported; the next pass goes on", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const db = getDb();
    await installFault(db, { name: "no_claims", table: "tasks", event: "UPDATE OF status", when: "NEW.status = 'running'", message: "claims broken" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    const report = (await s.loop.runPass())!;
    expect(report.errors).toEqual([expect.stringMatching(/^drain: .*claims broken/)]);
    expect((await tasksOf(sched.id))[0].status).toBe("queued");
    await removeFault(db, { name: "no_claims", table: "tasks" });
    expect((await s.loop.runPass())!.claimed).toHaveLength(1);
    await s.loop.idle();
    expect((await tasksOf(sched.id))[0].status).toBe("completed");
  });

  it("prunes firing metrics older than 30 days", async () => {
    const row = (firedAt: number) => ({ scheduleId: "s", taskId: `t${firedAt}`, firedAt, completedAt: firedAt, latenessMs: 0, slotWaitMs: 0, durationMs: 0, turnCount: 0, maxTurnsAtFiring: 1, eventLoopLagMs: 0, peakRssMb: 1, chatStreamsActive: 0, concurrentSchedules: 0 });
    const db = getDb();
    await run(db, db.insert(tablesOf(db).scheduleFiringMetrics).values([row(T0 - METRICS_RETENTION_MS - 1), row(T0 - METRICS_RETENTION_MS + 1)]));
    await startTestScheduler();
    expect((await rowsOf("scheduleFiringMetrics")).map((r) => r.firedAt)).toEqual([T0 - METRICS_RETENTION_MS + 1]);
  });
});
