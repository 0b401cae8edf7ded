/**
 * Cron optional with an upstream (issue 12 item 7 "instead of its cron"; ADR 0024): a
 * schedule with `dependsOnScheduleId` may have no cron. It is created and patched through
 * the API without one (201/200), refused without both (400 naming cronExpression), never
 * planned from the clock, and still runs exactly once per upstream success. Both dialects
 * (the PostgreSQL run takes this file too).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as getRoute, PATCH as patchRoute } from "@/app/api/schedules/[id]/route";
import { POST as createRoute } from "@/app/api/schedules/route";
import { POST as skipNextRoute } from "@/app/api/schedules/[id]/skip-next/route";
import { getDb } from "@/lib/db/client";
import { selectDueScheduleIds } from "@/lib/db/queries/planning";
import { getForecast } from "@/lib/forecast/service";
import { planSchedule } from "@/lib/scheduler/occurrence-planner";
import { repairStrandedSchedules } from "@/lib/scheduler/stranded-schedules";
import { computeCollisionWarnings } from "@/lib/schedules/collisions";
import { CHAINED_ONLY_DESCRIPTION, createSchedule } from "@/lib/schedules/service";
import { runScheduleNow } from "@/lib/tasks/manual-run";
import { planChainedTasks } from "@/lib/triggers/chaining";
import { makeRuntime, makeSchedule, T0, truncateAll } from "../factories";
import { callRoute } from "../http";
import { BACKOFF_MS, scheduleById, setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const create = (json: Record<string, unknown>) => callRoute(createRoute, "/api/schedules", { method: "POST", json: { prompt: "p", ...json } });
const patch = (id: string, json: unknown) => callRoute(patchRoute, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json });

describe("a schedule without a cron (runs only after its upstream)", () => {
  it("is created and patched without a cron when it has an upstream; without both it is a 400 naming cronExpression", async () => {
    await makeRuntime({ isDefault: true });
    const a = (await create({ name: "A", cronExpression: "0 9 * * *" })).data.schedule;

    const b = await create({ name: "B", dependsOnScheduleId: a.id });
    expect(b.status).toBe(201);
    expect(b.data.schedule).toMatchObject({ cronExpression: null, nextFireAt: null, dependsOnScheduleId: a.id, status: "active", description: CHAINED_ONLY_DESCRIPTION });
    expect(b.data.warnings).toEqual([]);
    const explicitNull = await create({ name: "B2", cronExpression: null, dependsOnScheduleId: a.id });
    expect(explicitNull.status).toBe(201);
    expect(explicitNull.data.schedule.cronExpression).toBeNull();

    for (const body of [{ name: "X" }, { name: "X", cronExpression: null }, { name: "X", dependsOnScheduleId: null }]) {
      const res = await create(body);
      expect(res.status).toBe(400);
      expect(res.data).toMatchObject({ error: "invalid_request", fields: { cronExpression: expect.stringContaining("dependsOnScheduleId") } });
    }

    // PATCH: a scheduled one with an upstream drops its cron; the GET shows it.
    const c = (await create({ name: "C", cronExpression: "*/5 * * * *", dependsOnScheduleId: a.id })).data.schedule;
    const dropped = await patch(c.id, { cronExpression: null });
    expect(dropped.status).toBe(200);
    expect(dropped.data.schedule).toMatchObject({ cronExpression: null, nextFireAt: null });
    expect((await callRoute(getRoute, `/api/schedules/${c.id}`, { params: { id: c.id } })).data.schedule.cronExpression).toBeNull();
    // Removing the upstream of a cron-less schedule, or dropping the cron of one without an upstream: 400.
    expect(await patch(c.id, { dependsOnScheduleId: null })).toMatchObject({ status: 400, data: { fields: { cronExpression: expect.stringContaining("dependsOnScheduleId") } } });
    expect(await patch(a.id, { cronExpression: null })).toMatchObject({ status: 400, data: { fields: { cronExpression: expect.stringContaining("dependsOnScheduleId") } } });
    // Both in one request: a cron again and no upstream.
    const back = await patch(c.id, { cronExpression: "0 8 * * *", dependsOnScheduleId: null });
    expect(back.status).toBe(200);
    expect(back.data.schedule.cronExpression).toBe("0 8 * * *");
    expect(back.data.schedule.nextFireAt).not.toBeNull();
    // Pausing and resuming keeps it cron-less (no cron to re-check).
    const bId = b.data.schedule.id;
    expect((await patch(bId, { status: "paused" })).status).toBe(200);
    const resumed = await patch(bId, { status: "active" });
    expect(resumed.status).toBe(200);
    expect(resumed.data.schedule).toMatchObject({ status: "active", cronExpression: null, nextFireAt: null });
    // Skip-next has no occurrence to skip.
    const skip = await callRoute(skipNextRoute, `/api/schedules/${bId}/skip-next`, { method: "POST", params: { id: bId } });
    expect(skip.status).toBe(409);
    expect(skip.data.message).toContain("no cron");
  });

  it("is never planned from the clock, and runs exactly once per upstream success", async () => {
    await setCap(2);
    await makeRuntime({ isDefault: true });
    const db = getDb();
    const { clock, loop } = await startTestScheduler();
    const a = await makeSchedule({ name: "A", cronExpression: "0 0 1 1 *" });
    const { schedule: b } = await createSchedule({ name: "B", prompt: "after A", dependsOnScheduleId: a.id }, T0 - 1, db);
    expect(b.cronExpression).toBeNull();

    const first = (await runScheduleNow(db, a.id, false)).taskId;
    await waitFor(async () => (await tasksOf(b.id)).some((t) => t.status === "completed"), "B's chained task to complete");
    // (plannedAt of a chained task is the upstream's finish time: move the fake clock so the two differ.)
    clock.advance(1000);
    const second = (await runScheduleNow(db, a.id, false)).taskId;
    await waitFor(async () => (await tasksOf(b.id)).filter((t) => t.status === "completed").length === 2, "B's second chained task");

    // Two days of passes: no cron occurrence for B, and no second task per upstream run.
    for (let i = 0; i < 48; i++) {
      clock.advance(3600_000);
      await loop.runPass();
      await planChainedTasks(db, clock.now());
    }
    const mine = await tasksOf(b.id);
    expect(mine).toHaveLength(2);
    expect(mine.map((t) => t.triggerKind)).toEqual(["dependency", "dependency"]);
    expect(mine.map((t) => t.triggeredByTaskId).sort()).toEqual([first, second].sort());
    expect(await selectDueScheduleIds(db, clock.now() + 365 * 86_400_000, 1000)).not.toContain(b.id);
    expect(await planSchedule(db, b.id, clock.now(), BACKOFF_MS)).toBeNull();
    expect((await scheduleById(b.id))).toMatchObject({ status: "active", nextFireAt: null, cronExpression: null, firingCount: 0 });
  });

  it("is left alone by the stranded-schedule repair, the collision check and the forecast", async () => {
    await makeRuntime({ isDefault: true });
    const db = getDb();
    const a = await makeSchedule({ name: "A", cronExpression: "0 9 * * *" });
    const { schedule: b } = await createSchedule({ name: "B", prompt: "after A", dependsOnScheduleId: a.id }, T0, db);
    expect(await repairStrandedSchedules(db, T0)).not.toContain(b.id);
    expect(await scheduleById(b.id)).toMatchObject({ status: "active", nextFireAt: null });
    expect(await computeCollisionWarnings(db, b, T0)).toEqual([]);
    const forecast = await getForecast(db, T0, 24);
    expect(JSON.stringify(forecast)).not.toContain(b.id);
  });
});
