/**
 * Chaining (issue 12 item 7): a schedule with dependsOnScheduleId runs after each success of
 * that schedule, exactly once per upstream run, within the pass the success pokes (well under
 * 1 s; the fake clock never moves here), and a dependency cycle is refused at save.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as createRoute } from "@/app/api/schedules/route";
import { PATCH as patchRoute } from "@/app/api/schedules/[id]/route";
import { getDb } from "@/lib/db/client";
import { runScheduleNow } from "@/lib/tasks/manual-run";
import { CHAIN_LOOKBACK_MS, chainedPlannedAt, planChainedTasks } from "@/lib/triggers/chaining";
import { makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { callRoute } from "../http";
import { allTasks, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const patch = (id: string, json: unknown) => callRoute(patchRoute, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json });

describe("dependsOnScheduleId", () => {
  it("queues and runs B right after A succeeds, in the pass A's success poked (no clock movement), once", async () => {
    await setCap(2);
    const { runtime, clock } = await startTestScheduler();
    const a = await makeSchedule({ name: "A", cronExpression: "0 0 1 1 *" });
    const b = await makeSchedule({ name: "B", cronExpression: "0 0 1 1 *", dependsOnScheduleId: a.id, dependsOnSince: T0, prompt: "after {{scheduleName}}'s upstream" });
    const upstream = (await runScheduleNow(getDb(), a.id, false)).taskId;
    await waitFor(async () => (await tasksOf(b.id)).some((t) => t.status === "completed"), "B's chained task to complete");
    const [chained] = await tasksOf(b.id);
    const finishedA = (await taskById(upstream)).finishedAt!;
    expect(chained).toMatchObject({ triggerKind: "dependency", triggeredByTaskId: upstream, sourceType: "scheduled", parentTaskId: null, plannedAt: chainedPlannedAt(finishedA) });
    expect(chained.createdAt - finishedA).toBeLessThan(1000);
    expect(clock.now()).toBe(T0);
    expect(runtime.runs.map((r) => r.input.prompt)).toEqual(["Summarize the repository", "after B's upstream"]);

    // More passes, and a second runner on the same database, create nothing more.
    const other = await startTestScheduler();
    for (let i = 0; i < 3; i++) {
      await other.loop.runPass();
      await planChainedTasks(getDb(), clock.now());
    }
    expect(await tasksOf(b.id)).toHaveLength(1);
  });

  it("does not chain on failure, for a paused dependent, or for successes before the dependency was set", async () => {
    await setCap(2);
    const { runtime, loop } = await startTestScheduler();
    const a = await makeSchedule({ name: "A", cronExpression: "0 0 1 1 *", maxAttempts: 1 });
    // An old success, before B depended on A.
    await makeTask({ scheduleId: a.id, status: "completed", finishedAt: T0 - 1, createdAt: T0 - 10 });
    const b = await makeSchedule({ name: "B", cronExpression: "0 0 1 1 *", dependsOnScheduleId: a.id, dependsOnSince: T0 });
    const paused = await makeSchedule({ name: "P", status: "paused", nextFireAt: null, dependsOnScheduleId: a.id, dependsOnSince: T0 });
    runtime.setScript({ outcome: "error" });
    const failed = (await runScheduleNow(getDb(), a.id, false)).taskId;
    await waitFor(async () => (await taskById(failed)).status === "failed", "A to fail");
    await loop.runPass();
    expect(await tasksOf(b.id)).toHaveLength(0);
    expect(await tasksOf(paused.id)).toHaveLength(0);

    runtime.setScript({});
    const ok = (await runScheduleNow(getDb(), a.id, false)).taskId;
    await waitFor(async () => (await tasksOf(b.id)).length === 1, "B to be chained");
    expect((await tasksOf(b.id))[0].triggeredByTaskId).toBe(ok);
    expect(await tasksOf(paused.id)).toHaveLength(0);
    await waitFor(async () => (await tasksOf(b.id))[0].status === "completed", "B's run to end");
  });

  it("chains each upstream success exactly once, each dependent on its own; a retry of the chained task keeps its origin", async () => {
    const now = T0 + 10_000;
    const a = await makeSchedule({ name: "A" });
    // allow_all: both chained runs queue (the overlap policy is test/triggers/chain-overlap.test.ts's subject).
    const b = await makeSchedule({ name: "B", dependsOnScheduleId: a.id, dependsOnSince: T0, overlapPolicy: "allow_all" });
    const c = await makeSchedule({ name: "C", dependsOnScheduleId: a.id, dependsOnSince: T0, overlapPolicy: "allow_all" });
    const up1 = await makeTask({ scheduleId: a.id, status: "completed", createdAt: T0, finishedAt: T0 + 1000 });
    const up2 = await makeTask({ scheduleId: a.id, status: "completed", createdAt: T0 + 1, finishedAt: T0 + 1500 });
    // Too old to replay (an outage longer than the look-back).
    await makeTask({ scheduleId: a.id, status: "completed", createdAt: now - CHAIN_LOOKBACK_MS - 5, finishedAt: now - CHAIN_LOOKBACK_MS - 1 });
    const db = getDb();
    const [first, second] = await Promise.all([planChainedTasks(db, now), planChainedTasks(db, now)]);
    expect(first.created.length + second.created.length).toBe(4);
    expect((await planChainedTasks(db, now)).created).toHaveLength(0);
    for (const s of [b, c]) {
      const mine = await tasksOf(s.id);
      expect(mine.map((t) => t.triggeredByTaskId).sort()).toEqual([up1.id, up2.id].sort());
      expect(mine.find((t) => t.triggeredByTaskId === up1.id)!.plannedAt).toBe(T0 + 1001); // off the whole second
    }
    // A retry child copies triggeredByTaskId without breaking the one-per-upstream index.
    const root = (await tasksOf(b.id))[0];
    await makeTask({ scheduleId: b.id, sourceType: "retry", parentTaskId: root.id, attempt: 2, triggerKind: "dependency", triggeredByTaskId: root.triggeredByTaskId, createdAt: now });
    expect(await tasksOf(b.id)).toHaveLength(3);
    expect((await planChainedTasks(db, now)).created).toHaveLength(0);
    expect(await allTasks()).toHaveLength(3 + 4 + 1);
  });

  it("is validated at save: unknown schedule, itself, and cycles are 400 on dependsOnScheduleId; clearing works", async () => {
    await makeRuntime({ isDefault: true });
    const create = (json: Record<string, unknown>) =>
      callRoute(createRoute, "/api/schedules", { method: "POST", json: { prompt: "p", cronExpression: "0 9 * * *", ...json } });
    const a = (await create({ name: "A" })).data.schedule;
    const bRes = await create({ name: "B", dependsOnScheduleId: a.id });
    expect(bRes.status).toBe(201);
    const b = bRes.data.schedule;
    expect(b.dependsOnScheduleId).toBe(a.id);
    const c = (await create({ name: "C", dependsOnScheduleId: b.id })).data.schedule;
    expect(await create({ name: "X", dependsOnScheduleId: "nope" })).toMatchObject({ status: 400, data: { fields: { dependsOnScheduleId: expect.stringContaining("unknown") } } });
    expect(await patch(a.id, { dependsOnScheduleId: a.id })).toMatchObject({ status: 400, data: { error: "invalid_request", fields: { dependsOnScheduleId: expect.stringContaining("itself") } } });
    expect(await patch(a.id, { dependsOnScheduleId: b.id })).toMatchObject({ status: 400, data: { fields: { dependsOnScheduleId: expect.stringContaining("cycle") } } });
    const cycle3 = await patch(a.id, { dependsOnScheduleId: c.id });
    expect(cycle3).toMatchObject({ status: 400, data: { fields: { dependsOnScheduleId: "would make a cycle: this schedule → C → B → this schedule" } } });
    expect((await patch(c.id, { dependsOnScheduleId: null })).data.schedule.dependsOnScheduleId).toBeNull();
    expect((await patch(a.id, { dependsOnScheduleId: c.id })).status).toBe(200);
  });
});
