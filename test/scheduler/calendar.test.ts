/**
 * Calendar controls (issue 12 items 2, 3, 5; ADR 0015) through the planner, the loop on a
 * fake clock and the HTTP routes, on SQLite and PostgreSQL: active windows (skip and defer,
 * across DST), exclusion dates in the schedule's zone, jitter (deterministic, bounded by the
 * next occurrence, lateness from the jittered start), skip-next, pause-until (the loop
 * resumes and wakes for it), one-shots in plain words, and backfill.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as listSchedules, POST as createRoute } from "@/app/api/schedules/route";
import { PATCH as patchRoute } from "@/app/api/schedules/[id]/route";
import { POST as skipNextRoute } from "@/app/api/schedules/[id]/skip-next/route";
import { POST as backfillRoute } from "@/app/api/schedules/[id]/backfill/route";
import { GET as scheduleTasksRoute } from "@/app/api/schedules/[id]/tasks/route";
import { getDb } from "@/lib/db/client";
import type { PassReport } from "@/lib/scheduler/loop";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { resumeDueSchedules } from "@/lib/scheduler/pause-until";
import { jitterOffsetMs } from "@/lib/schedules/calendar";
import { backfillSchedule, skipNextOccurrence } from "@/lib/schedules/calendar-service";
import { nextOccurrence, occurrencesBetween } from "@/lib/schedules/cron";
import { createSchedule, updateSchedule } from "@/lib/schedules/service";
import { FakeClock } from "@/lib/time/clock";
import { callRoute } from "../http";
import { makeRuntime, makeSchedule, makeTask, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";
import { BACKOFF_MS, eventsOf, scheduleById, setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => {
  await truncateAll();
  await makeRuntime({ isDefault: true });
});
afterEach(() => stopTestSchedulers());

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (s: string) => Date.parse(s);
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** Runs a planning pass every `stepMs` over [from, to]. */
async function stepPlanner(from: number, to: number, stepMs: number) {
  for (let now = from; now <= to; now += stepMs) {
    const res = await planDueOccurrences(getDb(), now, BACKOFF_MS);
    expect(res.failed).toEqual([]);
  }
}

/** A pass at the clock's current time: a pass already in flight (a poke) answers with its older report, so ask again. */
async function passNow(s: { clock: FakeClock; loop: { runPass(): Promise<PassReport | null> } }): Promise<PassReport> {
  for (let i = 0; i < 100; i++) {
    const report = await s.loop.runPass();
    if (report && report.at >= s.clock.now()) return report;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("no pass at the current time");
}

/** Follows the loop's armed wakes (a pass at each nextWakeAt) until the clock reaches `until`; returns the instants woken at. */
async function followWakes(s: { clock: FakeClock; loop: { runPass(): Promise<PassReport | null> } }, first: PassReport, until: number) {
  const woken: number[] = [];
  let report = first;
  while (report.nextWakeAt <= until) {
    if (woken.length > 200) throw new Error(`the loop keeps waking: ${woken.slice(-5).map((t) => new Date(t).toISOString())}`);
    s.clock.set(Math.max(report.nextWakeAt, s.clock.now()));
    woken.push(s.clock.now());
    report = await passNow(s);
  }
  return woken;
}

/** The schedule's root tasks as [plannedAt ISO, status, skippedReason, notBefore ISO], by plannedAt. */
async function occurrences(scheduleId: string) {
  return (await tasksOf(scheduleId))
    .filter((t) => t.parentTaskId == null)
    .sort((a, b) => a.plannedAt! - b.plannedAt!)
    .map((t) => [iso(t.plannedAt), t.status, t.skippedReason, iso(t.notBefore)]);
}

describe("active window, policy skip", () => {
  it("weekdays 09:00–17:00 New York across the spring-forward weekend: the window follows local time (14:00Z before, 13:00Z after)", async () => {
    const created = at("2026-03-06T13:30:00Z"); // Friday 08:30 EST
    const s = await makeSchedule({
      cronExpression: "0 * * * *",
      timezone: "America/New_York",
      overlapPolicy: "allow_all",
      catchUpPolicy: "all",
      createdAt: created,
      activeWindow: { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00", policy: "skip" },
    });
    await stepPlanner(created, at("2026-03-09T23:30:00Z"), HOUR);
    const rows = await occurrences(s.id);
    const queued = rows.filter((r) => r[1] === "queued").map((r) => r[0]);
    const skipped = rows.filter((r) => r[1] === "skipped");
    // Friday (EST, UTC−5): 09:00–16:00 local = 14:00Z–21:00Z; Monday (EDT, UTC−4): 13:00Z–20:00Z.
    const hours = (day: string, fromZ: number) => Array.from({ length: 8 }, (_, i) => `${day}T${String(fromZ + i).padStart(2, "0")}:00:00.000Z`);
    expect(queued).toEqual([...hours("2026-03-06", 14), ...hours("2026-03-09", 13)]);
    expect(skipped.every((r) => r[2] === "outside_window")).toBe(true);
    // Every hourly occurrence has a root task: nothing disappears silently (invariant 2).
    expect(rows.length).toBe(occurrencesBetween("0 * * * *", "America/New_York", created, at("2026-03-09T23:30:00Z"), 1000).length);
    const sched = await scheduleById(s.id);
    expect(sched!.firingCount).toBe(16); // skipped occurrences are not firings
  });

  it("an overnight window 22:00–06:00 (Fri start) covers Saturday 05:00 but not Saturday 07:00", async () => {
    const created = at("2026-01-09T20:30:00Z"); // Fri 20:30 UTC
    const s = await makeSchedule({
      cronExpression: "0 5,7,23 * * *",
      timezone: "UTC",
      overlapPolicy: "allow_all",
      catchUpPolicy: "all",
      createdAt: created,
      activeWindow: { days: [5], start: "22:00", end: "06:00", policy: "skip" },
    });
    await stepPlanner(created, at("2026-01-10T08:00:00Z"), HOUR);
    expect((await occurrences(s.id)).map((r) => [r[0], r[1]])).toEqual([
      ["2026-01-09T23:00:00.000Z", "queued"],
      ["2026-01-10T05:00:00.000Z", "queued"],
      ["2026-01-10T07:00:00.000Z", "skipped"],
    ]);
  });
});

describe("active window, policy defer", () => {
  it("Friday 18:00 Berlin is deferred to Monday 09:00 across the DST change: one task, plannedAt nominal, notBefore the window start", async () => {
    const created = at("2026-03-27T06:30:00Z"); // Fri 07:30 CET
    const s = await makeSchedule({
      cronExpression: "0 8,18 * * *",
      timezone: "Europe/Berlin",
      overlapPolicy: "allow_all",
      catchUpPolicy: "all",
      createdAt: created,
      activeWindow: { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00", policy: "defer" },
    });
    await stepPlanner(created, at("2026-03-28T00:00:00Z"), HOUR);
    expect(await occurrences(s.id)).toEqual([
      // 08:00 CET Friday: before the window → that day's 09:00 CET.
      ["2026-03-27T07:00:00.000Z", "queued", null, "2026-03-27T08:00:00.000Z"],
      // 18:00 CET Friday: after it → Monday 09:00 CEST (UTC+2 since Sunday) = 07:00Z.
      ["2026-03-27T17:00:00.000Z", "queued", null, "2026-03-30T07:00:00.000Z"],
    ]);
  });

  it("the loop leaves a deferred task queued until the window opens, then starts it; lateness counts from the window start", async () => {
    await setCap(2);
    const created = at("2026-01-05T17:30:00Z"); // Monday 17:30 UTC
    const sched = await makeSchedule({
      cronExpression: "0 18 * * *",
      timezone: "UTC",
      createdAt: created,
      activeWindow: { days: [1, 2, 3, 4, 5], start: "09:00", end: "17:00", policy: "defer" },
    });
    const s = await startTestScheduler({ clock: new FakeClock(created) });
    s.clock.set(at("2026-01-05T18:00:00Z"));
    const report = await passNow(s);
    const [task] = await tasksOf(sched.id);
    expect(task.status).toBe("queued");
    expect(iso(task.notBefore)).toBe("2026-01-06T09:00:00.000Z");
    // Nothing starts early; the loop's own wakes reach the window start exactly.
    const woken = await followWakes(s, report, at("2026-01-06T09:00:00Z"));
    expect(woken.at(-1)).toBe(at("2026-01-06T09:00:00Z"));
    await waitFor(async () => (await tasksOf(sched.id))[0].status === "completed", "deferred run completed");
    expect((await tasksOf(sched.id))[0].startedAt).toBe(at("2026-01-06T09:00:00Z"));
    const [metric] = await rowsOf("scheduleFiringMetrics");
    expect(metric.plannedAt).toBe(at("2026-01-05T18:00:00Z"));
    expect(metric.latenessMs).toBe(0); // from notBefore (the window start), not from 18:00 the day before
  });
});

describe("exclusion dates", () => {
  it("are local dates: 08:00 Tokyo on 2026-01-01 (23:00Z on Dec 31) is skipped excluded_date, the next day runs", async () => {
    const created = at("2025-12-30T12:00:00Z");
    const s = await makeSchedule({ cronExpression: "0 8 * * *", timezone: "Asia/Tokyo", catchUpPolicy: "all", overlapPolicy: "allow_all", createdAt: created, excludeDates: ["2026-01-01"] });
    await stepPlanner(created, at("2026-01-02T00:00:00Z"), HOUR);
    expect((await occurrences(s.id)).map((r) => r.slice(0, 3))).toEqual([
      ["2025-12-30T23:00:00.000Z", "queued", null],
      ["2025-12-31T23:00:00.000Z", "skipped", "excluded_date"],
      ["2026-01-01T23:00:00.000Z", "queued", null],
    ]);
  });
});

describe("jitter", () => {
  it("is deterministic per (schedule, plannedAt), within jitterSec and strictly before the next occurrence", () => {
    const plannedAt = at("2026-01-05T12:00:00Z");
    const a = jitterOffsetMs("sched-a", plannedAt, 300, plannedAt + HOUR);
    expect(jitterOffsetMs("sched-a", plannedAt, 300, plannedAt + HOUR)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThan(300_000);
    // Every minute with a 1 h jitter: bounded by the 60 s gap.
    const offsets = Array.from({ length: 300 }, (_, i) => jitterOffsetMs("sched-b", plannedAt + i * MIN, 3600, plannedAt + (i + 1) * MIN));
    expect(Math.max(...offsets)).toBeLessThan(MIN);
    // Spread, not clumped: both halves of the range are used.
    expect(offsets.filter((o) => o < 30_000).length).toBeGreaterThan(100);
    expect(offsets.filter((o) => o >= 30_000).length).toBeGreaterThan(100);
    expect(jitterOffsetMs("sched-b", plannedAt, 0, null)).toBe(0);
  });

  it("sets notBefore = plannedAt + the occurrence's jitter, plannedAt stays nominal; a second runner's pass computes the same", async () => {
    const created = at("2026-01-05T11:59:00Z");
    const s = await makeSchedule({ cronExpression: "0 * * * *", createdAt: created, jitterSec: 600 });
    await planDueOccurrences(getDb(), at("2026-01-05T12:00:00Z"), BACKOFF_MS);
    const [task] = await tasksOf(s.id);
    expect(task.plannedAt).toBe(at("2026-01-05T12:00:00Z"));
    const expected = jitterOffsetMs(s.id, task.plannedAt!, 600, task.plannedAt! + HOUR);
    expect(expected).toBeGreaterThan(0);
    expect(task.notBefore).toBe(task.plannedAt! + expected);
  });

  it("the loop starts the run at the jittered time; lateness is measured from it, not from plannedAt", async () => {
    await setCap(2);
    const created = at("2026-01-05T11:59:00Z");
    const sched = await makeSchedule({ cronExpression: "0 * * * *", createdAt: created, jitterSec: 900 });
    const jitter = jitterOffsetMs(sched.id, at("2026-01-05T12:00:00Z"), 900, at("2026-01-05T13:00:00Z"));
    const s = await startTestScheduler({ clock: new FakeClock(created) });
    s.clock.set(at("2026-01-05T12:00:00Z"));
    const report = await passNow(s);
    expect(report.claimed).toEqual([]);
    const woken = await followWakes(s, report, at("2026-01-05T12:00:00Z") + jitter);
    expect(woken.at(-1)).toBe(at("2026-01-05T12:00:00Z") + jitter);
    await waitFor(async () => (await tasksOf(sched.id))[0].status === "completed", "jittered run completed");
    expect((await tasksOf(sched.id))[0].startedAt).toBe(at("2026-01-05T12:00:00Z") + jitter);
    const [metric] = await rowsOf("scheduleFiringMetrics");
    expect(metric.plannedAt).toBe(at("2026-01-05T12:00:00Z"));
    expect(metric.latenessMs).toBe(0); // measured from the jittered start
  });
});

describe("skip-next", () => {
  it("POST skip-next records the next occurrence as skipped_by_user and moves nextFireAt; the planner then plans the following one", async () => {
    const created = at("2026-01-05T11:30:00Z");
    const s = await makeSchedule({ cronExpression: "0 * * * *", createdAt: created });
    const res = await callRoute(skipNextRoute, `/api/schedules/${s.id}/skip-next`, { method: "POST", params: { id: s.id } });
    expect(res.status).toBe(200);
    expect(res.data.schedule.nextFireAt).toBe("2026-01-05T13:00:00.000Z");
    await stepPlanner(at("2026-01-05T12:00:00Z"), at("2026-01-05T13:00:00Z"), 30 * MIN);
    expect((await occurrences(s.id)).map((r) => r.slice(0, 3))).toEqual([
      ["2026-01-05T12:00:00.000Z", "skipped", "skipped_by_user"],
      ["2026-01-05T13:00:00.000Z", "queued", null],
    ]);
    expect((await eventsOf(s.id)).some((e) => e.kind === "occurrence_skipped")).toBe(true);
  });

  it("concurrent skip-nexts and a planning pass: each occurrence has one root task, skipped twice in a row", async () => {
    const created = at("2026-01-05T11:30:00Z");
    const s = await makeSchedule({ cronExpression: "0 * * * *", createdAt: created });
    const now = at("2026-01-05T11:45:00Z");
    await Promise.all([skipNextOccurrence(getDb(), s.id, now), skipNextOccurrence(getDb(), s.id, now), planDueOccurrences(getDb(), now, BACKOFF_MS)]);
    expect((await occurrences(s.id)).map((r) => r.slice(0, 3))).toEqual([
      ["2026-01-05T12:00:00.000Z", "skipped", "skipped_by_user"],
      ["2026-01-05T13:00:00.000Z", "skipped", "skipped_by_user"],
    ]);
    expect((await scheduleById(s.id))!.nextFireAt).toBe(at("2026-01-05T14:00:00Z"));
  });

  it("is 409 on a paused schedule and 404 on an unknown one; a one-shot skipped expires", async () => {
    const paused = await makeSchedule({ status: "paused", nextFireAt: null });
    expect((await callRoute(skipNextRoute, "/x", { method: "POST", params: { id: paused.id } })).data.error).toBe("schedule_not_active");
    expect((await callRoute(skipNextRoute, "/x", { method: "POST", params: { id: "nope" } })).status).toBe(404);
    const now = at("2026-01-05T12:00:00Z");
    const { schedule } = await createSchedule({ name: "once", prompt: "p", runOnceAt: "in 2 hours", timezone: "UTC" }, now);
    const after = await skipNextOccurrence(getDb(), schedule.id, now);
    expect(after.status).toBe("expired");
    expect(after.nextFireAt).toBeNull();
  });
});

describe("pause-until", () => {
  it("PATCH pausedUntil pauses with reason paused_until; the loop wakes for it and resumes the schedule on time (no catch-up of the pause)", async () => {
    const created = at("2026-01-05T11:00:00Z");
    const sched = await makeSchedule({ cronExpression: "*/10 * * * *", createdAt: created });
    const s = await startTestScheduler({ clock: new FakeClock(created) });
    const until = at("2026-01-05T14:05:00Z");
    const res = await updateSchedule(sched.id, { pausedUntil: until }, created);
    expect(res.schedule).toMatchObject({ status: "paused", pausedReason: "paused_until", pausedUntil: until, nextFireAt: null });
    const list = await callRoute(listSchedules, "/api/schedules");
    expect(list.data.schedules[0].pausedUntil).toBe("2026-01-05T14:05:00.000Z");
    s.clock.set(at("2026-01-05T12:00:00Z"));
    const report = await passNow(s);
    expect((await scheduleById(sched.id))!.status).toBe("paused");
    const woken = await followWakes(s, report, until);
    expect(woken.at(-1)).toBe(until);
    const after = await scheduleById(sched.id);
    expect(after).toMatchObject({ status: "active", pausedReason: null, pausedUntil: null, nextFireAt: at("2026-01-05T14:10:00Z") });
    expect(await tasksOf(sched.id)).toEqual([]);
    expect((await eventsOf(sched.id)).filter((e) => e.kind === "schedule_resumed").length).toBe(1);
  });

  it("resumes exactly once with two runners, and leaves a schedule a person resumed or re-paused alone", async () => {
    const now = at("2026-01-05T12:00:00Z");
    const a = await makeSchedule({ status: "paused", pausedReason: "paused_until", pausedUntil: now - MIN, nextFireAt: null });
    const b = await makeSchedule({ status: "paused", pausedReason: "paused_by_user", pausedUntil: null, nextFireAt: null });
    const [r1, r2] = await Promise.all([resumeDueSchedules(getDb(), now), resumeDueSchedules(getDb(), now)]);
    expect([...r1, ...r2]).toEqual([a.id]);
    expect((await eventsOf(a.id)).filter((e) => e.kind === "schedule_resumed").length).toBe(1);
    expect((await scheduleById(b.id))!.status).toBe("paused");
  });

  it("refuses a pausedUntil in the past (400, nothing written); status active clears it", async () => {
    const sched = await makeSchedule({});
    const bad = await callRoute(patchRoute, "/x", { method: "PATCH", params: { id: sched.id }, json: { pausedUntil: "2000-01-01T00:00:00Z" } });
    expect(bad.status).toBe(400);
    expect(bad.data.fields.pausedUntil).toMatch(/future/);
    expect((await scheduleById(sched.id))!.status).toBe("active");
    const now = Date.now();
    await updateSchedule(sched.id, { pausedUntil: now + HOUR }, now);
    const resumed = await updateSchedule(sched.id, { status: "active" }, now + MIN);
    expect(resumed.schedule).toMatchObject({ status: "active", pausedUntil: null, pausedReason: null });
  });
});

describe("one-shot (runOnceAt)", () => {
  it('"tomorrow at 9:00" in New York on the day before spring-forward fires at 09:00 EDT (13:00Z) and completes', async () => {
    const now = at("2026-03-07T15:00:00Z");
    const { schedule } = await createSchedule({ name: "once", prompt: "p", runOnceAt: "tomorrow at 9:00", timezone: "America/New_York" }, now);
    expect(iso(schedule.nextFireAt)).toBe("2026-03-08T13:00:00.000Z");
    expect(schedule).toMatchObject({ maxFirings: 1, expiresAt: at("2026-03-08T13:00:00Z") });
    await stepPlanner(at("2026-03-08T13:00:00Z"), at("2026-03-08T13:00:00Z"), HOUR);
    expect((await occurrences(schedule.id)).map((r) => r.slice(0, 2))).toEqual([["2026-03-08T13:00:00.000Z", "queued"]]);
    expect((await scheduleById(schedule.id))!).toMatchObject({ status: "completed", nextFireAt: null, firingCount: 1 });
  });

  it('"in 2 hours" and an ISO time with an offset are exact instants; a one-shot missed beyond its catch-up window expires', async () => {
    const now = at("2026-01-05T12:00:30Z");
    const rel = await createSchedule({ name: "rel", prompt: "p", runOnceAt: "in 2 hours", timezone: "Europe/Paris" }, now);
    expect(iso(rel.schedule.nextFireAt)).toBe("2026-01-05T14:00:30.000Z");
    const abs = await createSchedule({ name: "abs", prompt: "p", runOnceAt: "2026-01-06T09:15:00+09:00", timezone: "Europe/Paris" }, now);
    expect(iso(abs.schedule.nextFireAt)).toBe("2026-01-06T00:15:00.000Z");
    // Planned 3 h late with a 1 h catch-up window: missed, then expired — never a year later.
    await planDueOccurrences(getDb(), at("2026-01-05T17:00:30Z"), BACKOFF_MS);
    expect((await scheduleById(rel.schedule.id))!.status).toBe("expired");
    expect(await tasksOf(rel.schedule.id)).toEqual([]);
  });

  it("a repeated fall-back hour: the wall time is its first occurrence; an offset naming the second one is refused", async () => {
    const now = at("2026-10-30T12:00:00Z");
    const first = await createSchedule({ name: "first", prompt: "p", runOnceAt: "2026-11-01T01:30", timezone: "America/New_York" }, now);
    expect(iso(first.schedule.nextFireAt)).toBe("2026-11-01T05:30:00.000Z"); // 01:30 EDT
    await expect(createSchedule({ name: "second", prompt: "p", runOnceAt: "2026-11-01T01:30:00-05:00", timezone: "America/New_York" }, now)).rejects.toMatchObject({
      code: "invalid_request",
      fields: { runOnceAt: expect.stringMatching(/repeated hour/) },
    });
  });

  it("refuses words it can't read and times in the past (400 fields.runOnceAt)", async () => {
    for (const runOnceAt of ["whenever you like", "2020-01-01T00:00:00Z", "yesterday at 9:00"]) {
      const res = await callRoute(createRoute, "/api/schedules", { method: "POST", json: { name: "x", prompt: "p", runOnceAt } });
      expect(res.status, runOnceAt).toBe(400);
      expect(res.data.fields.runOnceAt, runOnceAt).toBeTruthy();
    }
    expect(await rowsOf("schedules")).toEqual([]);
  });
});

describe("backfill", () => {
  it("queues a past range's occurrences with nominal plannedAt, flagged backfill; idempotent per occurrence; through the cap", async () => {
    await setCap(2);
    // Created at 12:20: its first own occurrence is 13:00, so the loop plans nothing of the range.
    const sched = await makeSchedule({ cronExpression: "0 * * * *", createdAt: at("2026-01-05T12:20:00Z"), overlapPolicy: "allow_all" });
    // 10:00 already ran (a real occurrence task).
    await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: at("2026-01-05T10:00:00Z"), status: "completed" });
    const s = await startTestScheduler({ clock: new FakeClock(at("2026-01-05T12:30:00Z")) });
    s.runtime.setScript({ hold: true });
    const body = { from: "2026-01-05T09:00:00Z", to: "2026-01-05T12:00:00Z" };
    const res = await backfillSchedule(getDb(), sched.id, { from: at(body.from), to: at(body.to) }, at("2026-01-05T12:30:00Z"));
    expect(res.taskIds).toHaveLength(3); // 09, 11, 12 (10 had its task)
    expect(res.existing).toBe(1);
    const again = await backfillSchedule(getDb(), sched.id, { from: at(body.from), to: at(body.to) }, at("2026-01-05T12:30:00Z"));
    expect(again).toEqual({ taskIds: [], existing: 4, leftOut: 0 });
    const rows = (await tasksOf(sched.id)).filter((t) => t.backfill).sort((a, b) => a.plannedAt! - b.plannedAt!);
    expect(rows.map((t) => iso(t.plannedAt))).toEqual(["2026-01-05T09:00:00.000Z", "2026-01-05T11:00:00.000Z", "2026-01-05T12:00:00.000Z"]);
    // Lateness of a backfill run counts from the request (notBefore), not from 09:00.
    expect(rows.every((t) => t.notBefore != null && t.notBefore >= at("2026-01-05T12:30:00Z"))).toBe(true);
    // The normal queue and cap: two start (oldest first), the third waits.
    await s.loop.runPass();
    await waitFor(() => s.runtime.runs.length === 2 && s.runtime.runs.every((r) => r.holding), "two backfill runs holding");
    const statuses = (await tasksOf(sched.id)).filter((t) => t.backfill).sort((a, b) => a.plannedAt! - b.plannedAt!).map((t) => t.status);
    expect(statuses).toEqual(["running", "running", "queued"]);
    // History shows them as backfill.
    const history = await callRoute(scheduleTasksRoute, "/x", { params: { id: sched.id } });
    expect(history.data.tasks.filter((t: { backfill: boolean }) => t.backfill)).toHaveLength(3);
  });

  it("maxCount takes the first occurrences; the calendar leaves out excluded/outside ones; bad ranges are 400", async () => {
    const now = at("2026-01-10T12:00:00Z");
    const sched = await makeSchedule({
      cronExpression: "0 9 * * *",
      createdAt: at("2026-01-01T00:00:00Z"),
      activeWindow: { days: [1, 2, 3, 4, 5], start: "08:00", end: "18:00", policy: "skip" },
      excludeDates: ["2026-01-06"],
    });
    const r = await backfillSchedule(getDb(), sched.id, { from: at("2026-01-05T00:00:00Z"), to: at("2026-01-10T00:00:00Z"), maxCount: 4 }, now);
    // Mon 5, Tue 6 (excluded), Wed 7, Thu 8 → 3 tasks, 1 left out.
    expect(r.taskIds).toHaveLength(3);
    expect(r.leftOut).toBe(1);
    for (const json of [
      { from: "2026-01-05T00:00:00Z", to: "2099-01-01T00:00:00Z" },
      { from: "2026-01-06T00:00:00Z", to: "2026-01-05T00:00:00Z" },
      { from: "2026-01-05T00:00:00Z", to: "2026-01-06T00:00:00Z", maxCount: 5000 },
    ]) {
      const res = await callRoute(backfillRoute, "/x", { method: "POST", params: { id: sched.id }, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    const viaRoute = await callRoute(backfillRoute, "/x", { method: "POST", params: { id: sched.id }, json: { from: "2026-01-05T00:00:00Z", to: "2026-01-10T00:00:00Z" } });
    expect(viaRoute.status).toBe(202);
    expect(viaRoute.data).toEqual({ taskIds: [expect.any(String)], existing: 3, leftOut: 1 }); // Fri 9 new; Mon/Wed/Thu exist; Tue excluded
    const weekend = await backfillSchedule(getDb(), sched.id, { from: at("2026-01-10T00:00:00Z"), to: at("2026-01-10T12:00:00Z") }, now);
    expect(weekend).toEqual({ taskIds: [], existing: 0, leftOut: 1 }); // Saturday: outside the window
    const paused = await makeSchedule({ status: "paused", nextFireAt: null });
    const res = await callRoute(backfillRoute, "/x", { method: "POST", params: { id: paused.id }, json: { from: "2026-01-05T00:00:00Z", to: "2026-01-06T00:00:00Z" } });
    expect(res.status).toBe(409);
  });
});

describe("input", () => {
  it("activeWindow, excludeDates and jitterSec are validated (400 naming the field) and round-trip through the API", async () => {
    const bad = [
      { activeWindow: { days: [0], start: "09:00", end: "17:00", policy: "skip" } },
      { activeWindow: { days: [1], start: "9am", end: "17:00", policy: "skip" } },
      { activeWindow: { days: [1], start: "09:00", end: "09:00", policy: "skip" } },
      { activeWindow: { days: [1], start: "09:00", end: "17:00", policy: "later" } },
      { excludeDates: ["2026-02-30"] },
      { jitterSec: -1 },
      { jitterSec: 86_401 },
    ];
    for (const extra of bad) {
      const res = await callRoute(createRoute, "/api/schedules", { method: "POST", json: { name: "x", prompt: "p", cronExpression: "0 * * * *", ...extra } });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(Object.keys(res.data.fields).join(), JSON.stringify(extra)).toMatch(/activeWindow|excludeDates|jitterSec/);
    }
    const ok = await callRoute(createRoute, "/api/schedules", {
      method: "POST",
      json: { name: "x", prompt: "p", cronExpression: "0 * * * *", jitterSec: 120, excludeDates: ["2026-12-25", "2026-12-24"], activeWindow: { days: [5, 1, 1], start: "22:00", end: "06:00", policy: "defer" } },
    });
    expect(ok.status).toBe(201);
    expect(ok.data.schedule).toMatchObject({
      jitterSec: 120,
      excludeDates: ["2026-12-24", "2026-12-25"],
      activeWindow: { days: [1, 5], start: "22:00", end: "06:00", policy: "defer" },
      pausedUntil: null,
    });
    const cleared = await callRoute(patchRoute, "/x", { method: "PATCH", params: { id: ok.data.schedule.id }, json: { activeWindow: null, excludeDates: [] } });
    expect(cleared.data.schedule).toMatchObject({ activeWindow: null, excludeDates: [] });
    expect(nextOccurrence("0 * * * *", "UTC", 0)).toBe(HOUR);
  });
});
