/**
 * DST through the scheduler and the schedules service (issue 10 fault 6; docs/design.md
 * "Time zones and DST"): the planner steps a schedule across transitions pass by pass
 * and plans exactly the rule's occurrences, never expiring; a save or resume during a
 * repeated hour doesn't fire that hour twice; a cron with no next occurrence is refused.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { POST as create } from "@/app/api/schedules/route";
import { PATCH as patch } from "@/app/api/schedules/[id]/route";
import { GET as preview } from "@/app/api/schedules/preview/route";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { occurrencesBetween } from "@/lib/schedules/cron";
import { createSchedule, previewSchedule, updateSchedule } from "@/lib/schedules/service";
import { repairStrandedSchedules } from "@/lib/scheduler/stranded-schedules";
import { callRoute } from "../http";
import { makeRuntime, makeSchedule, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";
import { BACKOFF_MS, scheduleById, tasksOf } from "../support/scheduler-harness";

beforeEach(async () => {
  await truncateAll();
  await makeRuntime({ isDefault: true }); // an active schedule needs a runnable runtime
});

const MIN = 60_000;
const LH = "Australia/Lord_Howe";
const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const at = (s: string) => Date.parse(s);

/** Runs a planning pass every `stepMs` from `from` to `to`; returns the schedule's planned instants. */
async function stepPlanner(id: string, from: number, to: number, stepMs: number): Promise<string[]> {
  for (let now = from; now <= to; now += stepMs) {
    const res = await planDueOccurrences(getDb(), now, BACKOFF_MS);
    expect(res.failed).toEqual([]);
    expect((await scheduleById(id))!.status).toBe("active");
  }
  return (await tasksOf(id)).map((t) => iso(t.plannedAt)!).sort();
}

describe("the planner across DST transitions", () => {
  it("Lord Howe fall-back (02:00 +11 → 01:30 +10:30): an hourly schedule keeps firing, once an hour of wall clock, never expired", async () => {
    const s = await makeSchedule({ cronExpression: "0 * * * *", timezone: LH, createdAt: at("2026-04-04T12:10:00Z"), overlapPolicy: "allow_all" });
    const planned = await stepPlanner(s.id, at("2026-04-04T12:10:00Z"), at("2026-04-04T18:10:00Z"), 5 * MIN);
    expect(planned).toEqual([
      "2026-04-04T13:00:00.000Z", // 00:00 +11
      "2026-04-04T14:00:00.000Z", // 01:00 +11
      "2026-04-04T15:30:00.000Z", // 02:00 +10:30 (the repeated 01:30–02:00 has no :00)
      "2026-04-04T16:30:00.000Z",
      "2026-04-04T17:30:00.000Z",
    ]);
    expect((await scheduleById(s.id))!.nextFireAt).toBe(at("2026-04-04T18:30:00Z"));
  });

  it("Lord Howe fall-back: */30 fires the repeated 01:30 and the existing 02:30, 30 real minutes apart", async () => {
    const s = await makeSchedule({ cronExpression: "*/30 * * * *", timezone: LH, createdAt: at("2026-04-04T13:50:00Z"), overlapPolicy: "allow_all" });
    const planned = await stepPlanner(s.id, at("2026-04-04T13:50:00Z"), at("2026-04-04T16:10:00Z"), 5 * MIN);
    expect(planned).toEqual([
      "2026-04-04T14:00:00.000Z", // 01:00 +11
      "2026-04-04T14:30:00.000Z", // 01:30 +11
      "2026-04-04T15:00:00.000Z", // 01:30 +10:30 (repeated)
      "2026-04-04T15:30:00.000Z", // 02:00 +10:30
      "2026-04-04T16:00:00.000Z", // 02:30 +10:30
    ]);
  });

  it("a catch-up pass after a long sleep plans the same occurrences as the stepping passes (one occurrence function)", async () => {
    const s = await makeSchedule({ cronExpression: "*/30 * * * *", timezone: LH, createdAt: at("2026-04-04T13:50:00Z"), overlapPolicy: "allow_all", catchUpPolicy: "all", catchUpWindowSec: 86_400 });
    await planDueOccurrences(getDb(), at("2026-04-04T16:10:00Z"), BACKOFF_MS);
    expect((await tasksOf(s.id)).map((t) => iso(t.plannedAt)).sort()).toEqual(
      occurrencesBetween("*/30 * * * *", LH, at("2026-04-04T13:50:00Z"), at("2026-04-04T16:10:00Z"), 100).map(iso),
    );
    expect(await tasksOf(s.id)).toHaveLength(5);
  });

  it("Lord Howe spring-forward Sunday (02:00 → 02:30): the weekly 02:00 job fires at 02:30, the first instant after the gap", async () => {
    const s = await makeSchedule({ cronExpression: "0 2 * * 0", timezone: LH, createdAt: at("2026-09-28T00:00:00Z"), overlapPolicy: "allow_all" });
    expect(iso(s.nextFireAt)).toBe("2026-10-03T15:30:00.000Z");
    const planned = await stepPlanner(s.id, at("2026-09-28T00:00:00Z"), at("2026-10-12T00:00:00Z"), 30 * MIN);
    expect(planned).toEqual(["2026-10-03T15:30:00.000Z", "2026-10-10T15:00:00.000Z"]);
  });

  it("New York: 30 2 * * * fires at 03:00 on the spring-forward day and 30 1 * * * once on the fall-back day", async () => {
    const spring = await makeSchedule({ cronExpression: "30 2 * * *", timezone: "America/New_York", createdAt: at("2026-03-07T12:00:00Z"), overlapPolicy: "allow_all" });
    const fall = await makeSchedule({ cronExpression: "30 1 * * *", timezone: "America/New_York", createdAt: at("2026-10-31T12:00:00Z"), overlapPolicy: "allow_all" });
    expect(await stepPlanner(spring.id, at("2026-03-07T12:00:00Z"), at("2026-03-09T12:00:00Z"), 15 * MIN)).toEqual([
      "2026-03-08T07:00:00.000Z", // 03:00 EDT: 02:30 doesn't exist
      "2026-03-09T06:30:00.000Z",
    ]);
    expect(await stepPlanner(fall.id, at("2026-10-31T12:00:00Z"), at("2026-11-02T12:00:00Z"), 15 * MIN)).toEqual([
      "2026-11-01T05:30:00.000Z", // 01:30 EDT, not again at 01:30 EST
      "2026-11-02T06:30:00.000Z",
    ]);
  });
});

describe("the schedules service and DST", () => {
  it("a schedule created or resumed during the repeated fall-back hour doesn't fire that wall time a second time", async () => {
    // 01:40 EST on 2026-11-01 New York: 01:30 already happened once (at 01:30 EDT).
    const now = at("2026-11-01T06:40:00Z");
    const input = { name: "n", prompt: "p", cronExpression: "30 1 * * *", timezone: "America/New_York" };
    const created = (await createSchedule(input, at("2026-11-01T06:10:00Z"))).schedule; // 01:10 EST
    expect(iso(created.nextFireAt)).toBe("2026-11-02T06:30:00.000Z");
    const paused = (await createSchedule({ ...input, status: "paused" }, at("2026-10-30T00:00:00Z"))).schedule;
    const resumed = (await updateSchedule(paused.id, { status: "active" }, now)).schedule;
    expect(iso(resumed.nextFireAt)).toBe("2026-11-02T06:30:00.000Z");
  });

  it("Lord Howe: 0 2 * * 0 is created active with a next fire; the preview of an hourly cron across the fall-back is complete", async () => {
    const weekly = (await createSchedule({ name: "w", prompt: "p", cronExpression: "0 2 * * 0", timezone: LH }, at("2026-04-01T00:00:00Z"))).schedule;
    expect(weekly.status).toBe("active");
    expect(iso(weekly.nextFireAt)).toBe("2026-04-04T15:30:00.000Z"); // 02:00 +10:30, the fall-back Sunday
    const p = previewSchedule({ cronExpression: "0 * * * *", timezone: LH, count: 6 }, at("2026-04-04T12:10:00Z"));
    expect(p.next).toEqual([
      "2026-04-04T13:00:00.000Z",
      "2026-04-04T14:00:00.000Z",
      "2026-04-04T15:30:00.000Z",
      "2026-04-04T16:30:00.000Z",
      "2026-04-04T17:30:00.000Z",
      "2026-04-04T18:30:00.000Z",
    ]);
  });

  it("refuses a cron with no occurrence in the horizon at create, PATCH, resume and preview: 400 fields.cronExpression, nothing written", async () => {
    // cron-parser itself refuses "0 0 30 2 *" (still 400 on cronExpression); the fifth
    // Monday of February parses but next happens in 2044, beyond the 10-year horizon.
    const feb30 = await callRoute(create, "/api/schedules", { method: "POST", json: { name: "n", prompt: "p", cronExpression: "0 0 30 2 *" } });
    expect(feb30.status).toBe(400);
    expect(feb30.data.fields).toHaveProperty("cronExpression");
    const never = { name: "never", prompt: "p", cronExpression: "0 0 * 2 1#5", timezone: "UTC" };
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: never });
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(res.data.fields.cronExpression).toMatch(/no occurrence/);
    const paused = await callRoute(create, "/api/schedules", { method: "POST", json: { ...never, status: "paused" } });
    expect(paused.status).toBe(400);
    expect(await rowsOf("schedules")).toHaveLength(0);

    const ok = await callRoute(create, "/api/schedules", { method: "POST", json: { ...never, cronExpression: "0 9 * * *" } });
    const id = ok.data.schedule.id as string;
    const eventCount = (await rowsOf("events")).length;
    const bad = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { cronExpression: "0 0 * 2 1#5" } });
    expect(bad.status).toBe(400);
    expect(bad.data.fields.cronExpression).toMatch(/no occurrence/);
    expect((await scheduleById(id))!.cronExpression).toBe("0 9 * * *");

    // A stored cron that no longer fires (written before this rule): resume is refused, the row stays paused.
    const { schedules } = tablesOf(getDb());
    await run(getDb(), getDb().update(schedules).set({ status: "paused", pausedReason: "paused_by_user", nextFireAt: null, cronExpression: "0 0 * 2 1#5" }).where(eq(schedules.id, id)));
    const resume = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active" } });
    expect(resume.status).toBe(400);
    expect(resume.data.fields.cronExpression).toMatch(/no occurrence/);
    expect(await scheduleById(id)).toMatchObject({ status: "paused", nextFireAt: null });
    expect(await rowsOf("events")).toHaveLength(eventCount);

    const pv = await callRoute(preview, "/api/schedules/preview?cronExpression=0%200%20*%202%201%235");
    expect(pv.status).toBe(400);
    expect(pv.data.fields.cronExpression).toMatch(/no occurrence/);
    // Plain words that resolve to a cron never firing name the field that was sent.
    const words = await callRoute(create, "/api/schedules", { method: "POST", json: { name: "w", prompt: "p", schedule: "0 0 * 2 1#5" } });
    expect(words.status).toBe(400);
    expect(words.data.fields.schedule).toMatch(/no occurrence/);
  });
});

describe("boot repair of schedules stranded by the old cron evaluation", () => {
  it("gives an active schedule with NULL nextFireAt and a wrongly expired one their next fire; pauses a cron that never fires; leaves real expiries", async () => {
    const now = at("2026-04-04T12:00:00Z");
    const db = getDb();
    const stranded = await makeSchedule({ cronExpression: "0 2 * * 0", timezone: LH, createdAt: at("2026-03-01T00:00:00Z") });
    const expired = await makeSchedule({ cronExpression: "0 * * * *", timezone: LH, createdAt: at("2026-03-01T00:00:00Z") });
    const reallyExpired = await makeSchedule({ cronExpression: "0 * * * *", createdAt: at("2026-03-01T00:00:00Z"), expiresAt: at("2026-04-01T00:00:00Z") });
    const never = await makeSchedule({ cronExpression: "0 * * * *", createdAt: at("2026-03-01T00:00:00Z") });
    const { schedules } = tablesOf(db);
    await run(db, db.update(schedules).set({ nextFireAt: null }).where(eq(schedules.id, stranded.id)));
    await run(db, db.update(schedules).set({ status: "expired", nextFireAt: null }).where(eq(schedules.id, expired.id)));
    await run(db, db.update(schedules).set({ status: "expired", nextFireAt: null }).where(eq(schedules.id, reallyExpired.id)));
    await run(db, db.update(schedules).set({ nextFireAt: null, cronExpression: "0 0 * 2 1#5" }).where(eq(schedules.id, never.id)));

    expect((await repairStrandedSchedules(db, now)).sort()).toEqual([stranded.id, expired.id, never.id].sort());
    expect(await scheduleById(stranded.id)).toMatchObject({ status: "active", nextFireAt: at("2026-04-04T15:30:00Z"), lastPlannedAt: now });
    expect(await scheduleById(expired.id)).toMatchObject({ status: "active", nextFireAt: at("2026-04-04T13:00:00Z") });
    expect(await scheduleById(reallyExpired.id)).toMatchObject({ status: "expired", nextFireAt: null });
    expect(await scheduleById(never.id)).toMatchObject({ status: "paused", pausedReason: "invalid_cron", nextFireAt: null });
    expect((await rowsOf("events")).filter((e) => e.scheduleId === stranded.id).map((e) => e.kind)).toEqual(["schedule_updated"]);
    // Idempotent: a second boot finds nothing to repair.
    expect(await repairStrandedSchedules(db, now)).toEqual([]);
    // The repaired schedule is due and planned like any other.
    await planDueOccurrences(db, at("2026-04-04T13:00:00Z"), BACKOFF_MS);
    expect((await tasksOf(expired.id)).map((t) => iso(t.plannedAt))).toEqual(["2026-04-04T13:00:00.000Z"]);
  });
});
