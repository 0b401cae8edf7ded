import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as schedulerStatusRoute } from "@/app/api/scheduler/status/route";
import { GET as listTasksRoute } from "@/app/api/tasks/route";
import { GET as getTaskRoute } from "@/app/api/tasks/[id]/route";
import { GET as taskEventsRoute } from "@/app/api/tasks/[id]/events/route";
import { POST as cancelRoute } from "@/app/api/tasks/[id]/cancel/route";
import { POST as rerunRoute } from "@/app/api/tasks/[id]/rerun/route";
import { POST as executeRoute } from "@/app/api/schedules/[id]/execute/route";
import { GET as scheduleTasksRoute } from "@/app/api/schedules/[id]/tasks/route";
import { GET as scheduleEventsRoute } from "@/app/api/schedules/[id]/events/route";
import { GET as scheduleMetricsRoute } from "@/app/api/schedules/[id]/metrics/route";
import { registerStream, unregisterStream } from "@/lib/chat/active-streams";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { getRunningTask } from "@/lib/scheduler/running-tasks";
import { makeRunner, makeSchedule, makeTask, T0, truncateAll } from "./factories";
import { callRoute } from "./http";
import { allTasks, scheduleById, setCap, startTestScheduler, stopTestSchedulers, taskById, type TestScheduler } from "./support/scheduler-harness";
import { waitFor } from "./support/test-runtime";
import { rowsOf } from "./support/rows";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const execute = (id: string, query = "", headers?: Record<string, string>) =>
  callRoute(executeRoute, `/api/schedules/${id}/execute${query}`, { method: "POST", params: { id }, headers });

async function withHeldRuns(cap: number): Promise<TestScheduler> {
  await setCap(cap);
  const s = await startTestScheduler();
  s.runtime.setScript({ hold: true });
  return s;
}

describe("POST /api/schedules/:id/execute (Run now)", () => {
  it("202 {taskId, forced:false} with a free slot: a manual root task claimed and running", async () => {
    const s = await withHeldRuns(2);
    const sched = await makeSchedule({ maxTurns: 7 });
    const res = await execute(sched.id);
    expect(res.status).toBe(202);
    expect(res.data).toEqual({ taskId: expect.any(String), forced: false });
    expect(await taskById(res.data.taskId)).toMatchObject({ status: "running", sourceType: "manual", plannedAt: null, scheduleId: sched.id, maxTurns: 7, runnerId: s.runnerId, forced: false });
    await waitFor(() => s.runtime.runs.length === 1, "run started");
    expect(s.runtime.runs[0].input).toMatchObject({ prompt: sched.prompt, maxTurns: 7 });
  });

  it("429 capacity_full with a positive ETA from leases and average durations; nothing written", async () => {
    await withHeldRuns(1);
    const sched = await makeSchedule({ maxRunDurationSec: 600 });
    // History: this schedule's firings take 90 s on average.
    for (const d of [60_000, 120_000]) {
      await run(getDb(), getDb().insert(tablesOf(getDb()).scheduleFiringMetrics).values({ scheduleId: sched.id, taskId: "old", firedAt: T0 - 3600_000, completedAt: T0, latenessMs: 0, slotWaitMs: 0, durationMs: d, turnCount: 1, maxTurnsAtFiring: 10, eventLoopLagMs: 0, peakRssMb: 1, chatStreamsActive: 0, concurrentSchedules: 1 }));
    }
    expect((await execute(sched.id)).status).toBe(202);
    const before = (await allTasks()).length;
    const res = await execute(sched.id);
    expect(res.status).toBe(429);
    expect(res.data).toMatchObject({ error: "capacity_full", slotEtaSec: 90, message: expect.stringMatching(/slots are busy/) });
    expect(await allTasks()).toHaveLength(before);
  });

  it("the ETA falls back to the lease expiry when there is no history", async () => {
    await withHeldRuns(1);
    const sched = await makeSchedule({ maxRunDurationSec: 300 });
    await execute(sched.id);
    expect((await execute(sched.id)).data.slotEtaSec).toBe(300);
  });

  it("?force=true at cap → 202 forced + a manual_force_bypass event; the cap is exceeded only by the forced run", async () => {
    await withHeldRuns(1);
    const sched = await makeSchedule();
    await execute(sched.id);
    const res = await execute(sched.id, "?force=true");
    expect(res.status).toBe(202);
    expect(res.data.forced).toBe(true);
    expect(await taskById(res.data.taskId)).toMatchObject({ status: "running", forced: true });
    const audit = (await rowsOf("events")).filter((e) => e.kind === "manual_force_bypass");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ scheduleId: sched.id, taskId: res.data.taskId });
    expect((await execute(sched.id)).status).toBe(429);
  });

  it("?queue=true at cap → 202 {queued:true}: the task waits queued (no slot taken) and the drain starts it when a slot frees", async () => {
    const s = await withHeldRuns(1);
    const sched = await makeSchedule({ overlapPolicy: "allow_all" });
    const first = await execute(sched.id);
    await waitFor(() => s.runtime.runs.length === 1, "first run started");
    const res = await execute(sched.id, "?queue=true");
    expect(res.status).toBe(202);
    expect(res.data).toEqual({ taskId: expect.any(String), forced: false, queued: true });
    expect(await taskById(res.data.taskId)).toMatchObject({ status: "queued", sourceType: "manual", runnerId: null });
    expect((await allTasks()).filter((t) => t.status === "running")).toHaveLength(1);
    expect((await rowsOf("events")).filter((e) => e.kind === "manual_queued")).toHaveLength(1);
    s.runtime.runs[0].release();
    await waitFor(async () => (await taskById(first.data.taskId))?.status === "completed", "first run finished");
    await waitFor(async () => (await taskById(res.data.taskId))?.status === "running", "queued run started by the drain");
    expect(await execute(sched.id, "?queue=true&force=true")).toMatchObject({ status: 400, data: { fields: { queue: expect.any(String) } } });
  });

  it("a double POST never exceeds the cap", async () => {
    await withHeldRuns(2);
    const a = await makeSchedule();
    const b = await makeSchedule();
    await execute(a.id);
    const results = await Promise.all([execute(a.id), execute(b.id), execute(a.id)]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 429, 429]);
    expect((await allTasks()).filter((t) => t.status === "running")).toHaveLength(2);
  });

  it("409 schedule_not_active when paused, 404 schedule_not_found when unknown, 400 on a bad force, 403 cross-origin", async () => {
    await withHeldRuns(2);
    const paused = await makeSchedule({ status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    expect(await execute(paused.id)).toMatchObject({ status: 409, data: { error: "schedule_not_active" } });
    expect(await execute("nope")).toMatchObject({ status: 404, data: { error: "schedule_not_found" } });
    expect(await execute(paused.id, "?force=yes")).toMatchObject({ status: 400, data: { error: "invalid_request", fields: { force: expect.any(String) } } });
    const cross = await execute(paused.id, "", { origin: "https://evil.example" });
    expect(cross).toMatchObject({ status: 403, data: { error: "cross_origin" } });
    expect(await allTasks()).toHaveLength(0);
  });

  it("503 scheduler_not_ready when no scheduler runs in the process", async () => {
    await setCap(2);
    const sched = await makeSchedule();
    expect(await execute(sched.id)).toMatchObject({ status: 503, data: { error: "scheduler_not_ready" } });
    expect(await allTasks()).toHaveLength(0);
  });

  it("a runtime that can't be resolved fails the task clearly, and the loop keeps going", async () => {
    await setCap(2);
    const { startScheduler } = await import("@/lib/scheduler/start");
    const { registerRunner } = await import("@/lib/scheduler/runner-registry");
    const { FakeClock } = await import("@/lib/time/clock");
    const clock = new FakeClock(T0);
    const loop = await startScheduler({ db: getDb(), clock, runnerId: await registerRunner(getDb(), T0), timers: false }); // the real resolver
    try {
      const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
      const res = await execute(sched.id);
      expect(res.status).toBe(202);
      await loop.idle();
      expect(await taskById(res.data.taskId)).toMatchObject({ status: "failed", failureReason: "runtime_missing_executable", error: expect.stringMatching(/No runtime to run this task/) });
      clock.set(T0 + 5 * 60_000);
      expect((await loop.runPass())!.claimed).toHaveLength(1);
      await loop.idle();
    } finally {
      await loop.stop();
    }
  });
});

describe("POST /api/tasks/:id/cancel", () => {
  const cancel = (id: string) => callRoute(cancelRoute, `/api/tasks/${id}/cancel`, { method: "POST", params: { id } });

  it("queued → 200 cancelled", async () => {
    await withHeldRuns(1);
    const t = await makeTask({ status: "queued" });
    const res = await cancel(t.id);
    expect(res.status).toBe(200);
    expect(res.data.task).toMatchObject({ id: t.id, status: "cancelled", finishedAt: expect.any(String) });
  });

  it("running here → the run is aborted with reason cancelled and 200 answers once terminal; the slot frees", async () => {
    const s = await withHeldRuns(1);
    const sched = await makeSchedule();
    const { data } = await execute(sched.id);
    await waitFor(() => s.runtime.runs[0]?.holding, "run holding");
    const res = await cancel(data.taskId);
    expect(res.status).toBe(200);
    expect(res.data.task).toMatchObject({ status: "cancelled", failureReason: "aborted" });
    expect(s.runtime.runs[0].abortedWith).toBe("cancelled");
    expect(getRunningTask(data.taskId)).toBeUndefined();
    expect((await execute(sched.id)).status).toBe(202);
  });

  it("running under another runner → cancelled guarded on that runner's id", async () => {
    await withHeldRuns(1);
    const other = await makeRunner({ heartbeatAt: T0 });
    const t = await makeTask({ status: "running", runnerId: other.id, startedAt: T0, slotClaimedAt: T0, leaseExpiresAt: T0 + 600_000 });
    const res = await cancel(t.id);
    expect(res.status).toBe(200);
    expect(await taskById(t.id)).toMatchObject({ status: "cancelled", runnerId: other.id, error: expect.stringMatching(/another runner|on runner/) });
  });

  it("409 task_finished when already finished; 404 for an unknown task", async () => {
    await withHeldRuns(1);
    const done = await makeTask({ status: "completed", finishedAt: T0 });
    expect(await cancel(done.id)).toMatchObject({ status: 409, data: { error: "task_finished" } });
    expect((await taskById(done.id)).status).toBe("completed");
    expect(await cancel("nope")).toMatchObject({ status: 404, data: { error: "task_not_found" } });
  });
});

describe("POST /api/tasks/:id/rerun", () => {
  const rerun = (id: string, query = "") => callRoute(rerunRoute, `/api/tasks/${id}/rerun${query}`, { method: "POST", params: { id } });

  it("202 {taskId}: a new manual task with the same prompt, schedule and runtime; 429 at cap; force bypasses; 404 unknown", async () => {
    await withHeldRuns(1);
    const sched = await makeSchedule();
    const old = await makeTask({ scheduleId: sched.id, status: "failed", prompt: "again please", runtimeId: null, maxTurns: 5, sourceType: "scheduled", plannedAt: T0 });
    const res = await rerun(old.id);
    expect(res.status).toBe(202);
    expect(res.data).toEqual({ taskId: expect.any(String) });
    expect(await taskById(res.data.taskId)).toMatchObject({ prompt: "again please", scheduleId: sched.id, sourceType: "manual", maxTurns: 5, status: "running", plannedAt: null });
    expect(await rerun(old.id)).toMatchObject({ status: 429, data: { error: "capacity_full", slotEtaSec: expect.any(Number) } });
    expect((await rerun(old.id, "?force=true")).status).toBe(202);
    expect(await rerun("nope")).toMatchObject({ status: 404, data: { error: "task_not_found" } });
  });
});

describe("reads", () => {
  it("GET /api/scheduler/status reports cap, slots, queue, chat streams, next fire and lag", async () => {
    await withHeldRuns(3);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    await makeTask({ status: "queued", notBefore: T0 + 3600_000 });
    await execute(sched.id);
    registerStream("s1");
    try {
      const res = await callRoute(schedulerStatusRoute, "/api/scheduler/status");
      expect(res.status).toBe(200);
      expect(res.data).toEqual({ maxConcurrent: 3, running: 1, queued: 1, chatStreamsActive: 1, nextFireAt: new Date(T0 + 5 * 60_000).toISOString(), eventLoopLagMs: expect.any(Number), eventLoopDelay: expect.any(Object), lastClockEvent: null, executor: { mode: "thread", hostRuns: 0, spawner: null }, quietCollections: { enabled: true, main: { collections: expect.any(Number), pauseMsMean: expect.any(Number), pauseMsMax: expect.any(Number) }, host: null } });
    } finally {
      unregisterStream("s1");
    }
  });

  it("GET /api/tasks pages newest first with a cursor and filters by status and scheduleId; 400 on bad input", async () => {
    const sched = await makeSchedule();
    for (let i = 0; i < 5; i++) await makeTask({ scheduleId: sched.id, createdAt: T0 + i, status: i % 2 ? "completed" : "failed" });
    await makeTask({ createdAt: T0 + 10, status: "completed" });
    const page1 = await callRoute(listTasksRoute, `/api/tasks?scheduleId=${sched.id}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.data.tasks.map((t: { createdAt: string }) => Date.parse(t.createdAt) - T0)).toEqual([4, 3]);
    const page2 = await callRoute(listTasksRoute, `/api/tasks?scheduleId=${sched.id}&limit=2&before=${page1.data.nextCursor}`);
    const page3 = await callRoute(listTasksRoute, `/api/tasks?scheduleId=${sched.id}&limit=2&before=${page2.data.nextCursor}`);
    expect(page2.data.tasks.map((t: { createdAt: string }) => Date.parse(t.createdAt) - T0)).toEqual([2, 1]);
    expect(page3.data).toMatchObject({ nextCursor: null });
    expect(page3.data.tasks).toHaveLength(1);
    const completed = await callRoute(listTasksRoute, "/api/tasks?status=completed");
    expect(completed.data.tasks).toHaveLength(3);
    expect(await callRoute(listTasksRoute, "/api/tasks?status=bogus")).toMatchObject({ status: 400, data: { fields: { status: expect.any(String) } } });
    expect(await callRoute(listTasksRoute, "/api/tasks?limit=0")).toMatchObject({ status: 400, data: { fields: { limit: expect.any(String) } } });
    expect(await callRoute(listTasksRoute, "/api/tasks?before=garbage")).toMatchObject({ status: 400, data: { fields: { before: expect.any(String) } } });
  });

  it("GET /api/tasks pages through tasks created in the same millisecond by id, none lost or repeated", async () => {
    const sched = await makeSchedule();
    const ids = await Promise.all(Array.from({ length: 7 }, async () => (await makeTask({ scheduleId: sched.id, createdAt: T0 + 50 })).id));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await callRoute(listTasksRoute, `/api/tasks?scheduleId=${sched.id}&limit=3${cursor ? `&before=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.data.tasks.map((t: { id: string }) => t.id));
      cursor = res.data.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].sort().reverse());
  });

  it("GET /api/tasks/:id and /events: 200 with the DTO and events in order, 404 unknown, 400 bad after", async () => {
    const t = await makeTask({ status: "completed", plannedAt: T0, finishedAt: T0 + 1000 });
    await run(getDb(), getDb().insert(tablesOf(getDb()).taskEvents).values([1, 2, 3].map((i) => ({ taskId: t.id, type: "assistant", payload: { text: `turn ${i}` }, createdAt: T0 + i }))));
    const res = await callRoute(getTaskRoute, `/api/tasks/${t.id}`, { params: { id: t.id } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.data.task).sort()).toEqual(
      ["id", "scheduleId", "runtimeId", "title", "status", "sourceType", "plannedAt", "attempt", "maxAttempts", "parentTaskId", "maxTurns", "turnCount", "slotClaimedAt", "leaseExpiresAt", "startedAt", "finishedAt", "failureReason", "error", "result", "sessionId", "skippedReason", "forced", "backfill", "notBefore", "inputTokens", "outputTokens", "costUsd", "triggerKind", "triggeredByTaskId", "createdAt"].sort(),
    );
    expect(res.data.task).toMatchObject({ plannedAt: new Date(T0).toISOString(), finishedAt: new Date(T0 + 1000).toISOString() });
    const ev = await callRoute(taskEventsRoute, `/api/tasks/${t.id}/events`, { params: { id: t.id } });
    expect(ev.data.events.map((e: { payload: { text: string } }) => e.payload.text)).toEqual(["turn 1", "turn 2", "turn 3"]);
    const after = await callRoute(taskEventsRoute, `/api/tasks/${t.id}/events?after=${ev.data.events[0].id}`, { params: { id: t.id } });
    expect(after.data.events).toHaveLength(2);
    expect(await callRoute(getTaskRoute, "/api/tasks/nope", { params: { id: "nope" } })).toMatchObject({ status: 404, data: { error: "task_not_found" } });
    expect(await callRoute(taskEventsRoute, "/api/tasks/nope/events", { params: { id: "nope" } })).toMatchObject({ status: 404 });
    expect(await callRoute(taskEventsRoute, `/api/tasks/${t.id}/events?after=x`, { params: { id: t.id } })).toMatchObject({ status: 400 });
  });

  it("GET /api/schedules/:id/tasks, /events, /metrics: 200 (history survives deletion), 404 unknown, 400 bad query", async () => {
    const s = await withHeldRuns(2);
    s.runtime.setScript({ turns: 4 });
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", overlapPolicy: "skip" });
    s.clock.set(T0 + 5 * 60_000);
    await s.loop.runPass();
    await s.loop.idle();
    const tasks = await callRoute(scheduleTasksRoute, `/api/schedules/${sched.id}/tasks`, { params: { id: sched.id } });
    expect(tasks.status).toBe(200);
    expect(tasks.data.tasks).toHaveLength(1);
    const metrics = await callRoute(scheduleMetricsRoute, `/api/schedules/${sched.id}/metrics`, { params: { id: sched.id } });
    expect(metrics.status).toBe(200);
    expect(metrics.data.metrics).toHaveLength(1);
    expect(metrics.data.metrics[0]).toMatchObject({ taskId: tasks.data.tasks[0].id, turnCount: 4, plannedAt: new Date(T0 + 5 * 60_000).toISOString(), latenessMs: 0 });
    expect(metrics.data.summary).toMatchObject({ firings: 1, failures: 0, avgTurns: 4 });
    const later = await callRoute(scheduleMetricsRoute, `/api/schedules/${sched.id}/metrics?since=${new Date(T0 + 3600_000).toISOString()}`, { params: { id: sched.id } });
    expect(later.data.metrics).toHaveLength(0);
    expect(await callRoute(scheduleMetricsRoute, `/api/schedules/${sched.id}/metrics?since=yesterday`, { params: { id: sched.id } })).toMatchObject({ status: 400, data: { fields: { since: expect.any(String) } } });

    const { deleteSchedule } = await import("@/lib/schedules/service");
    await deleteSchedule(sched.id, T0 + 6 * 60_000);
    expect(await scheduleById(sched.id)).toBeUndefined();
    const ev = await callRoute(scheduleEventsRoute, `/api/schedules/${sched.id}/events`, { params: { id: sched.id } });
    expect(ev.status).toBe(200);
    expect(ev.data.events.map((e: { kind: string }) => e.kind)).toContain("schedule_deleted");
    expect((await callRoute(scheduleTasksRoute, `/api/schedules/${sched.id}/tasks`, { params: { id: sched.id } })).data.tasks).toHaveLength(1);
    for (const r of [scheduleTasksRoute, scheduleEventsRoute, scheduleMetricsRoute]) {
      expect(await callRoute(r, "/api/schedules/nope/x", { params: { id: "nope" } })).toMatchObject({ status: 404, data: { error: "schedule_not_found" } });
    }
    expect(await callRoute(scheduleTasksRoute, `/api/schedules/${sched.id}/tasks?limit=500`, { params: { id: sched.id } })).toMatchObject({ status: 400 });
    expect(await callRoute(scheduleEventsRoute, `/api/schedules/${sched.id}/events?limit=abc`, { params: { id: sched.id } })).toMatchObject({ status: 400 });
  });
});
