/**
 * The task reads and the queued-task cancel of src/lib/db/queries/tasks.ts and
 * task-events.ts, on both dialects and without a scheduler: history pages (same-millisecond
 * ties broken by id through the row-value cursor, filters), drain-order queue place, last
 * run, "has history" after deletion, event paging, and the guarded cancel of a queued task.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { recordEvent } from "@/lib/events/log";
import { run, tablesOf } from "@/lib/db/sql";
import { cancelTask } from "@/lib/tasks/cancel";
import { GET as listSchedulesRoute } from "@/app/api/schedules/route";
import { callRoute } from "./http";
import { assertScheduleHasHistory, lastRunOfSchedule, lastRunsOfAllSchedules, listTasks, queuePosition, taskEventsAfter } from "@/lib/tasks/queries";
import { makeSchedule, makeTask, T0, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";

beforeEach(async () => truncateAll());

describe("task reads (both dialects)", () => {
  it("pages newest first by (createdAt, id) with the cursor: ties in one millisecond neither lost nor repeated; filters combine", async () => {
    const db = getDb();
    const s = await makeSchedule();
    const made = [];
    for (let i = 0; i < 12; i++) {
      made.push(await makeTask({ scheduleId: i % 2 ? s.id : null, status: i % 3 ? "completed" : "failed", createdAt: T0 + Math.floor(i / 4) }));
    }
    const expected = [...made].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((t) => t.id);
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await listTasks(db, { limit: 5, before });
      seen.push(...page.tasks.map((t) => t.id));
      before = page.nextCursor ?? undefined;
    } while (before);
    expect(seen).toEqual(expected);

    const failedOfSchedule = made.filter((t) => t.scheduleId === s.id && t.status === "failed").map((t) => t.id).sort();
    const page = await listTasks(db, { limit: 50, status: "failed", scheduleId: s.id });
    expect(page.tasks.map((t) => t.id).sort()).toEqual(failedOfSchedule);
    expect(page.nextCursor).toBeNull();
    await expect(listTasks(db, { limit: 5, before: "bm9wZQ" })).rejects.toMatchObject({ status: 400, fields: { before: expect.any(String) } });
  });

  it("places a queued task in drain order: manual runs first, then plannedAt, then createdAt; others never count", async () => {
    const db = getDb();
    const s = await makeSchedule();
    const early = await makeTask({ scheduleId: s.id, sourceType: "scheduled", plannedAt: T0, createdAt: T0 + 5 });
    const late = await makeTask({ scheduleId: s.id, sourceType: "scheduled", plannedAt: T0 + 60_000, createdAt: T0 + 1 });
    const tie = await makeTask({ scheduleId: s.id, sourceType: "retry", parentTaskId: early.id, attempt: 2, plannedAt: T0 + 60_000, createdAt: T0 + 2 });
    const manual = await makeTask({ sourceType: "manual", plannedAt: null, createdAt: T0 + 10 });
    const manual2 = await makeTask({ sourceType: "manual", plannedAt: null, createdAt: T0 + 20 });
    await makeTask({ status: "completed", plannedAt: null, createdAt: T0 });
    await makeTask({ status: "running", plannedAt: T0 - 1, createdAt: T0 });
    expect(await Promise.all([manual, manual2, early, late, tie].map((t) => queuePosition(db, t)))).toEqual([1, 2, 3, 4, 5]);
  });

  it("last run skips skipped occurrences (null when it never ran); history outlives the schedule row", async () => {
    const db = getDb();
    const s = await makeSchedule();
    expect(await lastRunOfSchedule(db, s.id)).toBeNull();
    const ran = await makeTask({ scheduleId: s.id, status: "failed", sourceType: "manual", createdAt: T0, startedAt: T0 + 1, finishedAt: T0 + 2 });
    await makeTask({ scheduleId: s.id, status: "skipped", sourceType: "scheduled", plannedAt: T0 + 60_000, createdAt: T0 + 60_000, skippedReason: "overlap" });
    expect(await lastRunOfSchedule(db, s.id)).toEqual({
      taskId: ran.id, status: "failed", sourceType: "manual", startedAt: new Date(T0 + 1).toISOString(), finishedAt: new Date(T0 + 2).toISOString(),
    });

    await expect(assertScheduleHasHistory(db, s.id)).resolves.toBeUndefined();
    await expect(assertScheduleHasHistory(db, "gone")).rejects.toMatchObject({ status: 404, code: "schedule_not_found" });
    // Only an event left (the schedule and its tasks deleted): still history.
    await recordEvent(db, { kind: "schedule_deleted", scheduleId: "gone", taskId: null, message: "deleted", data: null, createdAt: T0 });
    await expect(assertScheduleHasHistory(db, "gone")).resolves.toBeUndefined();
    // Only a task left.
    await makeTask({ scheduleId: "gone-too", status: "completed" });
    await expect(assertScheduleHasHistory(db, "gone-too")).resolves.toBeUndefined();
  });

  it("every schedule's last run in one query equals the per-schedule read, and GET /api/schedules carries it", async () => {
    const db = getDb();
    const never = await makeSchedule({ name: "never ran" });
    const onlySkipped = await makeSchedule({ name: "only skipped" });
    await makeTask({ scheduleId: onlySkipped.id, status: "skipped", skippedReason: "overlap", createdAt: T0 });
    const mixed = await makeSchedule({ name: "mixed" });
    await makeTask({ scheduleId: mixed.id, status: "completed", createdAt: T0, startedAt: T0, finishedAt: T0 + 5 });
    await makeTask({ scheduleId: mixed.id, status: "failed", sourceType: "manual", createdAt: T0 + 10, startedAt: T0 + 11, finishedAt: T0 + 12 });
    await makeTask({ scheduleId: mixed.id, status: "skipped", skippedReason: "overlap", createdAt: T0 + 20 });
    const tie = await makeSchedule({ name: "same createdAt" });
    for (let i = 0; i < 5; i++) await makeTask({ scheduleId: tie.id, status: i % 2 ? "running" : "queued", createdAt: T0 });
    const busy = await makeSchedule({ name: "busy" });
    for (let i = 0; i < 40; i++) await makeTask({ scheduleId: busy.id, status: "completed", createdAt: T0 + i * 1000, startedAt: T0 + i * 1000, finishedAt: T0 + i * 1000 + 1 });
    await makeTask({ scheduleId: null, status: "completed", createdAt: T0 + 99_000 }); // an ad-hoc task belongs to no schedule

    const all = await lastRunsOfAllSchedules(db);
    for (const s of [never, onlySkipped, mixed, tie, busy]) expect(all.get(s.id) ?? null, s.name).toEqual(await lastRunOfSchedule(db, s.id));
    expect([...all.keys()].sort()).toEqual([mixed.id, tie.id, busy.id].sort());
    expect(all.get(mixed.id)).toMatchObject({ status: "failed", sourceType: "manual" });

    const res = await callRoute(listSchedulesRoute, "/api/schedules");
    expect(res.status).toBe(200);
    const listed = new Map(res.data.schedules.map((x: { id: string; lastRun: unknown }) => [x.id, x.lastRun]));
    for (const s of [never, onlySkipped, mixed, tie, busy]) expect(listed.get(s.id), s.name).toEqual((await lastRunOfSchedule(db, s.id)) ?? null);
  });

  it("reads a task's events after an id, in order, with the payload parsed", async () => {
    const db = getDb();
    const t = await makeTask({ status: "running" });
    const other = await makeTask({ status: "running" });
    const { taskEvents } = tablesOf(db);
    await run(db, db.insert(taskEvents).values([1, 2, 3].map((i) => ({ taskId: t.id, type: "assistant", payload: { text: `turn ${i}`, n: i }, createdAt: T0 + i }))));
    await run(db, db.insert(taskEvents).values({ taskId: other.id, type: "assistant", payload: { text: "other" }, createdAt: T0 }));
    const all = await taskEventsAfter(db, t.id, 0);
    expect(all.map((e) => e.payload)).toEqual([1, 2, 3].map((i) => ({ text: `turn ${i}`, n: i })));
    expect(all.every((e) => e.taskId === t.id)).toBe(true);
    expect((await taskEventsAfter(db, t.id, all[0].id)).map((e) => e.id)).toEqual([all[1].id, all[2].id]);
  });

  it("cancels a queued task in one guarded write (cancelled, aborted, finishedAt); a finished one is 409, an unknown one 404", async () => {
    const db = getDb();
    const t = await makeTask({ status: "queued" });
    const bystander = await makeTask({ status: "queued" });
    const before = Date.now();
    const after = await cancelTask(db, t.id);
    expect(after).toMatchObject({ id: t.id, status: "cancelled", failureReason: "aborted", error: "Cancelled before it started" });
    expect(after.finishedAt).toBeGreaterThanOrEqual(before);
    await expect(cancelTask(db, t.id)).rejects.toMatchObject({ status: 409, code: "task_finished" });
    await expect(cancelTask(db, "nope")).rejects.toMatchObject({ status: 404, code: "task_not_found" });
    expect((await rowsOf("tasks")).find((r) => r.id === bystander.id)).toMatchObject({ status: "queued", finishedAt: null });
  });
});
