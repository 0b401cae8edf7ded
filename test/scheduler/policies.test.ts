import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { registerStream, unregisterStream } from "@/lib/chat/active-streams";
import { getDb } from "@/lib/db/client";
import { deleteSchedule, updateSchedule } from "@/lib/schedules/service";
import { cancelTask } from "@/lib/tasks/cancel";
import { makeSchedule, T0, truncateAll } from "../factories";
import { eventsOf, scheduleById, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf, type TestScheduler } from "../support/scheduler-harness";
import { rowsOf } from "../support/rows";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

/** Moves the clock to T0 + minute and runs a pass; waits until every started run holds or ended. */
async function fireAt(s: TestScheduler, minute: number) {
  s.clock.set(T0 + minute * MIN);
  await s.loop.runPass();
  await waitFor(() => s.runtime.runs.every((r) => r.holding || r.finished), "runs settled");
}

describe("overlap policies (the previous task still runs when the next occurrence comes)", () => {
  const scenario = async (overlapPolicy: "skip" | "buffer_one" | "buffer_all" | "cancel_other" | "allow_all") => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy });
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    await fireAt(s, 1);
    await fireAt(s, 2);
    await fireAt(s, 3);
    return { s, sched, rows: async () => (await tasksOf(sched.id)).map((t) => [(t.plannedAt! - T0) / MIN, t.status, t.skippedReason]) };
  };

  it("skip: later occurrences are skipped tasks with reason overlap", async () => {
    const { rows } = await scenario("skip");
    expect(await rows()).toEqual([[1, "running", null], [2, "skipped", "overlap"], [3, "skipped", "overlap"]]);
  });

  it("buffer_one: one occurrence waits behind the running task, the next is skipped; it starts when the first ends", async () => {
    const { s, rows } = await scenario("buffer_one");
    expect(await rows()).toEqual([[1, "running", null], [2, "queued", null], [3, "skipped", "overlap"]]);
    s.runtime.runs[0].release();
    await waitFor(async () => (await rows())[1][1] === "running", "buffered task started");
    expect((await rows())[0][1]).toBe("completed");
  });

  it("buffer_all: every occurrence queues and they run one after another", async () => {
    const { s, rows } = await scenario("buffer_all");
    expect(await rows()).toEqual([[1, "running", null], [2, "queued", null], [3, "queued", null]]);
    s.runtime.runs[0].release();
    await waitFor(async () => (await rows())[1][1] === "running", "second started");
    expect((await rows())[2][1]).toBe("queued");
    await waitFor(() => s.runtime.runs.length === 2 && s.runtime.runs[1].holding, "second holding");
    s.runtime.runs[1].release();
    await waitFor(async () => (await rows())[2][1] === "running", "third started");
  });

  it("cancel_other: the running task is cancelled and aborted, the new occurrence runs", async () => {
    const { s, rows } = await scenario("cancel_other");
    expect(await rows()).toEqual([[1, "cancelled", null], [2, "cancelled", null], [3, "running", null]]);
    expect(s.runtime.runs[0].abortedWith).toBe("cancelled");
  });

  it("allow_all: occurrences run concurrently (only the global cap limits them)", async () => {
    const { rows } = await scenario("allow_all");
    expect(await rows()).toEqual([[1, "running", null], [2, "running", null], [3, "running", null]]);
  });
});

describe("fire-time re-check", () => {
  it("a task whose schedule was paused between planning and start is skipped (paused_at_fire); deleted → schedule_deleted", async () => {
    await setCap(1);
    const ids = await Promise.all(["a", "b", "c"].map(async (prompt) => (await makeSchedule({ cronExpression: "*/5 * * * *", prompt })).id));
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    await fireAt(s, 5);
    const statusOf = async (id: string) => (await tasksOf(id))[0].status;
    const statuses = await Promise.all(ids.map(statusOf));
    const running = ids[statuses.indexOf("running")];
    const [paused, deleted] = ids.filter((id) => id !== running);
    expect([await statusOf(paused), await statusOf(deleted)]).toEqual(["queued", "queued"]);
    await updateSchedule(paused, { status: "paused" }, T0 + 5 * MIN + 1);
    await deleteSchedule(deleted, T0 + 5 * MIN + 1);
    s.runtime.runs[0].release();
    await waitFor(async () => await statusOf(paused) === "skipped" && await statusOf(running) === "completed", "paused task skipped");
    expect((await tasksOf(paused))[0].skippedReason).toBe("paused_at_fire");
    expect((await tasksOf(deleted))[0]).toMatchObject({ status: "skipped", skippedReason: "schedule_deleted" });
    expect(s.runtime.runs).toHaveLength(1);
  });
});

describe("streaks, auto-pause and first-breach grace", () => {
  it("3 generic failures in a row auto-pause with failure_streak; a success resets the streak", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "* * * * *", maxAttempts: 1 });
    const s = await startTestScheduler();
    const outcomes: ("success" | "error")[] = ["error", "error", "success", "error", "error", "error"];
    s.runtime.setScript((_input, i) => ({ outcome: outcomes[i], turns: 2, failureReason: "agent_error" }));
    const streaks: number[] = [];
    for (let m = 1; m <= 6; m++) {
      await fireAt(s, m);
      await s.loop.idle();
      streaks.push((await scheduleById(sched.id))!.failureStreak);
    }
    expect(streaks).toEqual([1, 2, 0, 1, 2, 3]);
    expect(await scheduleById(sched.id)).toMatchObject({ status: "paused", pausedReason: "failure_streak", nextFireAt: null, lastFailureReason: "agent_error", lastTurnCount: 2, avgTurnsPerFiring: 2 });
    expect((await eventsOf(sched.id)).filter((e) => e.kind === "auto_paused")).toHaveLength(1);
    await fireAt(s, 7);
    expect(await tasksOf(sched.id)).toHaveLength(6);
  });

  it("turn-budget breaches: forgiven within 2 intervals after a maxTurns edit, then 5 in a row auto-pause", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "* * * * *", maxTurns: 3, maxTurnsSetAt: T0 + 30_000, maxAttempts: 1 });
    const s = await startTestScheduler();
    s.runtime.setScript({ outcome: "max_turns", turns: 99 });
    const streaks: number[] = [];
    for (let m = 1; m <= 7; m++) {
      await fireAt(s, m);
      await s.loop.idle();
      streaks.push((await scheduleById(sched.id))!.turnBudgetBreachStreak);
    }
    // Occurrences at +1 and +2 min are the first two after the edit (grace); +3..+7 count.
    expect(streaks).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(await scheduleById(sched.id)).toMatchObject({ status: "paused", pausedReason: "turn_budget_breach_streak", failureStreak: 0, lastFailureReason: "turn_limit_exceeded", lastTurnCount: 3 });
    expect((await tasksOf(sched.id)).every((t) => t.failureReason === "turn_limit_exceeded" && t.turnCount === 3)).toBe(true);
    expect((await eventsOf(sched.id)).find((e) => e.kind === "auto_paused")?.data).toMatchObject({ pausedReason: "turn_budget_breach_streak" });
  });

  it("avgTurnsPerFiring is an EMA (0.7 old, 0.3 new) and one metrics row is written per firing with every column", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "* * * * *" });
    const s = await startTestScheduler();
    s.runtime.setScript((_i, n) => ({ turns: [10, 20][n] }));
    await fireAt(s, 1);
    await s.loop.idle();
    await fireAt(s, 2);
    await s.loop.idle();
    expect((await scheduleById(sched.id))!.avgTurnsPerFiring).toBe(13);
    const metrics = (await rowsOf("scheduleFiringMetrics")).filter((m) => m.scheduleId === sched.id).sort((a, b) => a.id - b.id);
    expect(metrics).toHaveLength(2);
    for (const m of metrics) for (const [k, v] of Object.entries(m)) if (k !== "failureReason") expect(v, k).not.toBeNull();
    expect(metrics[1]).toMatchObject({ plannedAt: T0 + 2 * MIN, latenessMs: 0, slotWaitMs: 0, turnCount: 20, maxTurnsAtFiring: 100, concurrentSchedules: 1, chatStreamsActive: 0 });
  });
});

describe("turn average", () => {
  it("a cancelled run doesn't pull avgTurnsPerFiring down (nor touch a streak)", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "* * * * *" });
    const s = await startTestScheduler();
    s.runtime.setScript((_i, n) => (n === 0 ? { turns: 10 } : { turns: 1, hold: true }));
    await fireAt(s, 1);
    await s.loop.idle();
    expect((await scheduleById(sched.id))!.avgTurnsPerFiring).toBe(10);
    await fireAt(s, 2);
    const [, second] = await tasksOf(sched.id);
    await waitFor(async () => (await taskById(second.id)).turnCount === 1, "second run streamed a turn");
    expect((await cancelTask(getDb(), second.id)).status).toBe("cancelled");
    expect(await scheduleById(sched.id)).toMatchObject({ avgTurnsPerFiring: 10, failureStreak: 0 });
  });
});

describe("chat pressure (invariant 8)", () => {
  afterEach(() => unregisterStream("chat-1"));

  it("holds a scheduled start while a chat streams, at most chatPressureDelaySec in total, then lets it go; plannedAt unchanged", async () => {
    await setCap(2, getDb(), { chatPressureDelaySec: 30 });
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    registerStream("chat-1");
    await fireAt(s, 5);
    const [task] = await tasksOf(sched.id);
    expect(task).toMatchObject({ status: "queued", pressureHeldSince: T0 + 5 * MIN });
    expect(s.loop.lastPass!.nextWakeAt).toBe(T0 + 5 * MIN + 30_000);
    s.clock.set(T0 + 5 * MIN + 29_999);
    await s.loop.runPass();
    expect((await taskById(task.id)).status).toBe("queued");
    s.clock.set(T0 + 5 * MIN + 30_000);
    await s.loop.runPass();
    expect(await taskById(task.id)).toMatchObject({ status: "running", plannedAt: T0 + 5 * MIN, startedAt: T0 + 5 * MIN + 30_000 });
  });

  it("a stream ending wakes the loop and the held task starts at once", async () => {
    await setCap(2, getDb(), { chatPressureDelaySec: 30 });
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    registerStream("chat-1");
    await fireAt(s, 5);
    expect((await tasksOf(sched.id))[0].status).toBe("queued");
    s.clock.advance(3000);
    unregisterStream("chat-1"); // onStreamsEmpty → poke → pass
    await waitFor(async () => (await tasksOf(sched.id))[0].status === "completed", "held task ran");
    expect((await tasksOf(sched.id))[0].startedAt).toBe(T0 + 5 * MIN + 3000);
  });
});

