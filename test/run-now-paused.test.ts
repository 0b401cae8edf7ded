import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as executeRoute } from "@/app/api/schedules/[id]/execute/route";
import { makeSchedule, truncateAll } from "./factories";
import { callRoute } from "./http";
import { allTasks, scheduleById, setCap, startTestScheduler, stopTestSchedulers, taskById } from "./support/scheduler-harness";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const execute = (id: string, query = "") => callRoute(executeRoute, `/api/schedules/${id}/execute${query}`, { method: "POST", params: { id } });

describe("Run now on a paused schedule (?whilePaused=true)", () => {
  it("keeps 409 schedule_not_active by default; whilePaused=true runs it once and it stays paused", async () => {
    await setCap(2);
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    const paused = await makeSchedule({ status: "paused", pausedReason: "failure_streak", nextFireAt: null });
    expect(await execute(paused.id)).toMatchObject({ status: 409, data: { error: "schedule_not_active" } });
    expect(await allTasks()).toHaveLength(0);

    const res = await execute(paused.id, "?whilePaused=true");
    expect(res.status).toBe(202);
    expect(await taskById(res.data.taskId)).toMatchObject({ sourceType: "manual", scheduleId: paused.id, status: "running" });
    expect(await scheduleById(paused.id)).toMatchObject({ status: "paused", pausedReason: "failure_streak", nextFireAt: null });
  });

  it("never runs a completed or expired schedule, and rejects a bad flag with 400", async () => {
    await setCap(2);
    await startTestScheduler();
    for (const status of ["completed", "expired"] as const) {
      const done = await makeSchedule({ status, nextFireAt: null });
      expect(await execute(done.id, "?whilePaused=true")).toMatchObject({ status: 409, data: { error: "schedule_not_active" } });
    }
    const paused = await makeSchedule({ status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    expect(await execute(paused.id, "?whilePaused=yes")).toMatchObject({ status: 400, data: { error: "invalid_request", fields: { whilePaused: expect.any(String) } } });
    expect(await allTasks()).toHaveLength(0);
  });
});
