import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rowsOf } from "../support/rows";
import { POST as executeRoute } from "@/app/api/schedules/[id]/execute/route";
import { registerStream, unregisterStream } from "@/lib/chat/active-streams";
import { updateSchedule } from "@/lib/schedules/service";
import { makeSchedule, T0, truncateAll } from "../factories";
import { callRoute } from "../http";
import { scheduleById, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf, type TestScheduler } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

/** Run now on the schedule whose first attempt fails with `network` (retried); returns the queued retry. */
async function manualRootWithRetry(s: TestScheduler, scheduleId: string) {
  const res = await callRoute(executeRoute, `/api/schedules/${scheduleId}/execute`, { method: "POST", params: { id: scheduleId } });
  expect(res.status).toBe(202);
  const rootId = (res.data as { taskId: string }).taskId;
  await waitFor(async () => (await tasksOf(scheduleId)).some((t) => t.parentTaskId === rootId), "retry of the manual run queued");
  expect(await taskById(rootId)).toMatchObject({ sourceType: "manual", status: "failed", failureReason: "network" });
  return (await tasksOf(scheduleId)).find((t) => t.parentTaskId === rootId)!;
}

describe("retries", () => {
  it("a retry's lateness is measured from its own due time (notBefore), not the original occurrence", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript((_input, index) => (index === 0 ? { outcome: "error", failureReason: "network" } : {}));
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    await waitFor(async () => (await tasksOf(sched.id)).some((t) => t.sourceType === "retry"), "retry queued");
    const retry = (await tasksOf(sched.id)).find((t) => t.sourceType === "retry")!;
    expect(retry.notBefore).toBe(T0 + 5 * MIN + 60_000);

    // The retry starts 7 s after it became due.
    s.clock.set(retry.notBefore! + 7_000);
    await s.loop.runPass();
    await waitFor(async () => (await taskById(retry.id)).status === "completed", "retry completed");
    const metric = (await rowsOf("scheduleFiringMetrics")).find((m) => m.taskId === retry.id)!;
    expect(metric).toMatchObject({ plannedAt: T0 + 5 * MIN, latenessMs: 7_000, slotWaitMs: 7_000 });
  });
});

describe("a Run now's retry behaves like a manual run (the root's source is kept apart from the attempt)", () => {
  it("it is not held by chat pressure and not skipped when its schedule was paused meanwhile", async () => {
    await setCap(2, undefined, { chatPressureDelaySec: 600 });
    const sched = await makeSchedule({ cronExpression: "0 0 1 1 *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript((_input, index) => (index === 0 ? { outcome: "error", failureReason: "network" } : {}));
    const retry = await manualRootWithRetry(s, sched.id);
    expect(retry).toMatchObject({ sourceType: "retry", rootSourceType: "manual", attempt: 2 });

    await updateSchedule(sched.id, { status: "paused" }, T0 + 1);
    registerStream("chat-1");
    try {
      s.clock.set(retry.notBefore!);
      await s.loop.runPass();
      await waitFor(async () => (await taskById(retry.id)).status === "completed", "manual-rooted retry ran");
      expect((await taskById(retry.id)).skippedReason).toBeNull();
      expect((await taskById(retry.id)).pressureHeldSince).toBeNull();
    } finally {
      unregisterStream("chat-1");
    }
  });

  it("its final failure changes no streak and no turn average of the schedule", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "0 0 1 1 *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript((_input, index) => (index === 0 ? { outcome: "error", failureReason: "network" } : { outcome: "error", failureReason: "agent_error", turns: 4 }));
    const retry = await manualRootWithRetry(s, sched.id);
    s.clock.set(retry.notBefore!);
    await s.loop.runPass();
    await waitFor(async () => (await taskById(retry.id)).status === "failed", "retry failed");
    expect(await scheduleById(sched.id)).toMatchObject({ failureStreak: 0, lastFailureReason: null, lastTurnCount: null, avgTurnsPerFiring: null });
  });
});
