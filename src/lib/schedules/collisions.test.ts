import { beforeEach, describe, expect, it } from "vitest";
import { POST as create } from "@/app/api/schedules/route";
import { PATCH as patch } from "@/app/api/schedules/[id]/route";
import { getDb } from "@/lib/db/client";
import { callRoute } from "../../../test/http";
import { T0, makeRuntime, makeSchedule, truncateAll } from "../../../test/factories";
import { rowsOf } from "../../../test/support/rows";
import { CronExpressionParser } from "cron-parser";
import { COLLISION_STEP_THRESHOLD, computeCollisionWarnings, expectedStepsPerFiring, matchesCalendarDay } from "./collisions";
import { occurrencesBetween } from "./cron";
import { upsertGroupCap } from "@/lib/db/queries/concurrency-groups";

const db = () => getDb();
/** The schedule being saved, inserted like the service does before it computes warnings. */
const saved = async (overrides: Parameters<typeof makeSchedule>[0]) => makeSchedule({ name: "edited", updatedAt: T0, ...overrides });

describe("computeCollisionWarnings", () => {
  beforeEach(async () => truncateAll());

  it("warns when two daily schedules share a 5-minute bucket above 3000 combined steps and suggests the nearest free minute", async () => {
    await makeSchedule({ name: "Nightly report", cronExpression: "2 9 * * *", avgTurnsPerFiring: 1800 });
    await makeSchedule({ name: "A tiny poller", cronExpression: "*/15 * * * *", avgTurnsPerFiring: 3 });
    const s = await saved({ cronExpression: "0 9 * * *", avgTurnsPerFiring: 1500 });
    const [w, ...rest] = await computeCollisionWarnings(db(), s);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({
      type: "cron_collision",
      // Biggest contributor first.
      overlappingSchedules: ["Nightly report", "A tiny poller"],
      overlappingMinutes: [9 * 60],
      estimatedConcurrentSteps: 3303,
      referenceDay: "2026-01-06",
      // 08:55 and 09:05 are both one bucket away and free; the earlier one wins.
      suggestedMinute: 8 * 60 + 55,
      suggestedCronExpression: "55 8 * * *",
    });
  });

  it("stays silent below the threshold, in different buckets, and for paused or completed others", async () => {
    await makeSchedule({ name: "small", cronExpression: "0 9 * * *", avgTurnsPerFiring: 1000 });
    await makeSchedule({ name: "next bucket", cronExpression: "5 9 * * *", avgTurnsPerFiring: 5000 });
    await makeSchedule({ name: "paused", cronExpression: "0 9 * * *", avgTurnsPerFiring: 5000, status: "paused", nextFireAt: null });
    await makeSchedule({ name: "done", cronExpression: "0 9 * * *", avgTurnsPerFiring: 5000, status: "completed" });
    const s = await saved({ cronExpression: "0 9 * * *", avgTurnsPerFiring: 1999 });
    expect(await computeCollisionWarnings(db(), s)).toEqual([]);
    // One more step reaches the threshold with "small".
    const heavier = { ...s, avgTurnsPerFiring: COLLISION_STEP_THRESHOLD - 1000 };
    expect((await computeCollisionWarnings(db(), heavier))[0].overlappingSchedules).toEqual(["small"]);
  });

  it("a capped concurrency group keeps its members apart: per-second members of a cap-1 group get no warning, a cap-2 group counts one mate, other schedules still count", async () => {
    await upsertGroupCap(db(), "repo-foo", 1, T0);
    await makeSchedule({ name: "mate poller", cronExpression: "*/10 * * * * *", avgTurnsPerFiring: 40, concurrencyGroup: "repo-foo" });
    const s = await saved({ cronExpression: "*/10 * * * * *", avgTurnsPerFiring: 40, concurrencyGroup: "repo-foo" });
    expect(await computeCollisionWarnings(db(), s)).toEqual([]);
    // The same two schedules outside the group do collide (30 firings per bucket each).
    const loose = await saved({ name: "loose", cronExpression: "*/10 * * * * *", avgTurnsPerFiring: 40 });
    const [w] = await computeCollisionWarnings(db(), loose);
    expect(w.overlappingSchedules).toEqual(["edited", "mate poller"]);
    // A group without a cap keeps nothing apart.
    const uncapped = await saved({ name: "uncapped", cronExpression: "*/10 * * * * *", avgTurnsPerFiring: 40, concurrencyGroup: "no-cap" });
    await makeSchedule({ name: "uncapped mate", cronExpression: "*/10 * * * * *", avgTurnsPerFiring: 40, concurrencyGroup: "no-cap" });
    expect((await computeCollisionWarnings(db(), uncapped))[0].overlappingSchedules).toContain("uncapped mate");

    // Cap 2: one mate (the biggest) may run beside it; a third is held apart.
    await truncateAll();
    await upsertGroupCap(db(), "pair", 2, T0);
    await makeSchedule({ name: "big mate", cronExpression: "0 9 * * *", avgTurnsPerFiring: 1600, concurrencyGroup: "pair" });
    await makeSchedule({ name: "small mate", cronExpression: "0 9 * * *", avgTurnsPerFiring: 1000, concurrencyGroup: "pair" });
    const paired = await saved({ cronExpression: "0 9 * * *", avgTurnsPerFiring: 1500, concurrencyGroup: "pair" });
    const [p] = await computeCollisionWarnings(db(), paired);
    expect(p).toMatchObject({ overlappingSchedules: ["big mate"], estimatedConcurrentSteps: 3100 });
  });

  it("never compares the saved schedule with itself", async () => {
    const s = await saved({ cronExpression: "0 9 * * *", avgTurnsPerFiring: 9000 });
    expect(await computeCollisionWarnings(db(), s)).toEqual([]);
  });

  it("evaluates each schedule in its own timezone", async () => {
    // In January, 09:00 in Berlin is 08:00 UTC.
    await makeSchedule({ name: "utc eight", cronExpression: "0 8 * * *", timezone: "UTC", avgTurnsPerFiring: 2000 });
    await makeSchedule({ name: "utc nine", cronExpression: "0 9 * * *", timezone: "UTC", avgTurnsPerFiring: 2000 });
    const s = await saved({ cronExpression: "0 9 * * *", timezone: "Europe/Berlin", avgTurnsPerFiring: 2000 });
    const [w] = await computeCollisionWarnings(db(), s);
    expect(w.overlappingSchedules).toEqual(["utc eight"]);
    expect(w.overlappingMinutes).toEqual([9 * 60]);
  });

  it("honours the day fields: a Saturday schedule does not collide with a weekday one", async () => {
    await makeSchedule({ name: "weekdays", cronExpression: "0 9 * * 1-5", avgTurnsPerFiring: 2000 });
    await makeSchedule({ name: "first of month", cronExpression: "0 9 1 * *", avgTurnsPerFiring: 2000 });
    const saturday = await saved({ cronExpression: "0 9 * * 6", avgTurnsPerFiring: 2000 });
    expect(await computeCollisionWarnings(db(), saturday)).toEqual([]);
    await makeSchedule({ name: "daily", cronExpression: "0 9 * * *", avgTurnsPerFiring: 2000 });
    expect((await computeCollisionWarnings(db(), saturday))[0].overlappingSchedules).toEqual(["daily"]);
    // The reference day of a schedule on the 1st is the 1st: "first of month" collides there.
    const monthly = await saved({ cronExpression: "0 9 1 * *", avgTurnsPerFiring: 2000 });
    expect((await computeCollisionWarnings(db(), monthly))[0]).toMatchObject({
      overlappingSchedules: ["daily", "first of month"],
      referenceDay: "2026-02-01",
    });
  });

  it("analyses the day a schedule next fires even where DST skips local midnight", async () => {
    // America/Santiago springs forward at 00:00 on 2026-09-06: that local midnight does not exist.
    await makeSchedule({ name: "Santiago evening", cronExpression: "0 22 * * *", timezone: "America/Santiago", avgTurnsPerFiring: 2000 });
    const s = await saved({ cronExpression: "0 22 * * *", timezone: "America/Santiago", avgTurnsPerFiring: 2000, updatedAt: Date.UTC(2026, 8, 6, 12) });
    const [w] = await computeCollisionWarnings(db(), s);
    expect(w).toMatchObject({ overlappingSchedules: ["Santiago evening"], overlappingMinutes: [22 * 60], referenceDay: "2026-09-06" });
  });

  it("honours the hour and minute fields and counts each firing inside a bucket", async () => {
    // Every minute from 09:00 to 09:04 → 5 firings of 250 = 1250 steps in the 09:00 bucket only.
    await makeSchedule({ name: "burst", cronExpression: "0-4 9 * * *", avgTurnsPerFiring: 250 });
    await makeSchedule({ name: "ten o'clock", cronExpression: "0 10 * * *", avgTurnsPerFiring: 5000 });
    const s = await saved({ cronExpression: "3 9 * * *", avgTurnsPerFiring: 1750 });
    const [w] = await computeCollisionWarnings(db(), s);
    expect(w).toMatchObject({ overlappingSchedules: ["burst"], estimatedConcurrentSteps: 3000, overlappingMinutes: [543] });
    expect(await computeCollisionWarnings(db(), { ...s, avgTurnsPerFiring: 1749 })).toEqual([]);
  });

  it("counts a seconds field without enumerating every second", async () => {
    // 60 firings a minute × 5 minutes × 1 step = 300 steps per bucket, all day long.
    await makeSchedule({ name: "every second", cronExpression: "* * * * * *", avgTurnsPerFiring: 1 });
    const s = await saved({ cronExpression: "30 14 * * *", avgTurnsPerFiring: 2700 });
    const [w] = await computeCollisionWarnings(db(), s);
    expect(w).toMatchObject({ overlappingSchedules: ["every second"], estimatedConcurrentSteps: 3000, overlappingMinutes: [870] });
    // Every bucket is loaded by the per-second schedule and each would reach 3000 again: no free minute.
    expect(w.suggestedMinute).toBeUndefined();
  });

  it("suggests no minute for a schedule that fires several times a day", async () => {
    await makeSchedule({ name: "hourly big", cronExpression: "0 * * * *", avgTurnsPerFiring: 2000 });
    const s = await saved({ cronExpression: "0 */6 * * *", avgTurnsPerFiring: 2000 });
    const [w] = await computeCollisionWarnings(db(), s);
    expect(w.overlappingMinutes).toEqual([0, 360, 720, 1080]);
    expect(w.suggestedMinute).toBeUndefined();
  });

  it("weighs a schedule that never fired by its maxTurns, else DEFAULT_MAX_TURNS", async () => {
    expect(expectedStepsPerFiring({ avgTurnsPerFiring: 42.5, maxTurns: 500 })).toBe(42.5);
    expect(expectedStepsPerFiring({ avgTurnsPerFiring: null, maxTurns: 500 })).toBe(500);
    expect(expectedStepsPerFiring({ avgTurnsPerFiring: null, maxTurns: null })).toBe(100);
    await makeSchedule({ name: "budgeted", cronExpression: "0 9 * * *", maxTurns: 2900 });
    const s = await saved({ cronExpression: "0 9 * * *", maxTurns: null });
    expect((await computeCollisionWarnings(db(), s))[0].estimatedConcurrentSteps).toBe(3000);
  });

  it("is returned by POST and PATCH /api/schedules", async () => {
    await makeRuntime({ isDefault: true }); // an active schedule needs a runnable runtime
    await makeSchedule({ name: "Nightly report", cronExpression: "0 9 * * *", maxTurns: 2500, createdAt: Date.now() });
    const created = await callRoute(create, "/api/schedules", {
      method: "POST",
      json: { name: "Morning", prompt: "p", cronExpression: "0 9 * * *", maxTurns: 600 },
    });
    expect(created.status).toBe(201);
    expect(created.data.warnings).toHaveLength(1);
    expect(created.data.warnings[0]).toMatchObject({ type: "cron_collision", overlappingSchedules: ["Nightly report"], estimatedConcurrentSteps: 3100 });
    const id = created.data.schedule.id;
    const moved = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { cronExpression: created.data.warnings[0].suggestedCronExpression } });
    expect(moved.status).toBe(200);
    expect(moved.data.warnings).toEqual([]);
    expect(await rowsOf("schedules")).toHaveLength(2);
  });

  it("matches calendar days exactly like cron-parser for every day of a leap year", () => {
    const expressions = [
      "0 9 * * 1-5", "0 9 * * 7", "0 9 1,15 * 1", "0 9 L * *", "0 9 * * 5L",
      "0 9 * * 5#3", "0 9 29 2 *", "0 9 */10 * *", "0 9 31 * *", "0 0 L 2 *",
    ];
    const start = Date.UTC(2028, 0, 1);
    const end = Date.UTC(2029, 0, 1);
    for (const expr of expressions) {
      const fields = CronExpressionParser.parse(expr).fields;
      const expected = new Set(occurrencesBetween(expr, "UTC", start - 1, end - 1, 1000).map((t) => new Date(t).toISOString().slice(0, 10)));
      for (let day = start; day < end; day += 86_400_000) {
        const dt = new Date(day);
        const iso = dt.toISOString().slice(0, 10);
        const actual = matchesCalendarDay(fields, dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate());
        if (actual !== expected.has(iso)) throw new Error(`${expr} on ${iso}: cron-parser says ${expected.has(iso)}, matchesCalendarDay ${actual}`);
      }
    }
  });
});
