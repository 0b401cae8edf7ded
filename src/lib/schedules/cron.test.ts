import { describe, expect, it } from "vitest";
import { CronError, describeCron, isValidTimezone, nextOccurrence, occurrencesBetween, previousOccurrence, validateCron } from "./cron";

const T = Date.UTC(2026, 0, 5, 12, 0, 0); // Monday 12:00 UTC

describe("cron evaluation", () => {
  it("next occurrence is strictly after the instant", () => {
    expect(nextOccurrence("*/5 * * * *", "UTC", T)).toBe(T + 5 * 60_000);
    expect(nextOccurrence("*/5 * * * *", "UTC", T - 1)).toBe(T);
  });

  it("previous occurrence includes the instant itself", () => {
    expect(previousOccurrence("*/5 * * * *", "UTC", T)).toBe(T);
    expect(previousOccurrence("*/5 * * * *", "UTC", T - 1)).toBe(T - 5 * 60_000);
  });

  it("evaluates in the schedule's timezone, across DST", () => {
    // 09:00 in Paris is 08:00 UTC in winter…
    expect(new Date(nextOccurrence("0 9 * * *", "Europe/Paris", T)!).toISOString()).toBe("2026-01-06T08:00:00.000Z");
    // …and 07:00 UTC in summer.
    expect(new Date(nextOccurrence("0 9 * * *", "Europe/Paris", Date.UTC(2026, 6, 1))!).toISOString()).toBe("2026-07-01T07:00:00.000Z");
  });

  it("lists occurrences in (from, to] and stops at the limit", () => {
    const hour = occurrencesBetween("*/5 * * * *", "UTC", T - 3_600_000, T, 1000);
    expect(hour).toHaveLength(12);
    expect(hour[0]).toBe(T - 55 * 60_000);
    expect(hour.at(-1)).toBe(T);
    expect(occurrencesBetween("* * * * * *", "UTC", T - 86_400_000, T, 10)).toHaveLength(10);
  });

  it("supports a seconds field", () => {
    expect(nextOccurrence("*/10 * * * * *", "UTC", T)).toBe(T + 10_000);
  });

  it("rejects bad expressions and timezones with the field named", () => {
    expect(() => validateCron("61 * * * *", "UTC")).toThrow(CronError);
    expect(() => validateCron("* * *", "UTC")).toThrow(/5 fields/);
    expect(() => validateCron("0 0 30 2 *", "UTC")).toThrow(CronError);
    try {
      validateCron("* * * * *", "Mars/Olympus");
    } catch (e) {
      expect((e as CronError).field).toBe("timezone");
    }
    expect(isValidTimezone("Mars/Olympus")).toBe(false);
    expect(isValidTimezone("America/New_York")).toBe(true);
    expect(validateCron("  */5   *  * * * ", "UTC")).toBe("*/5 * * * *");
  });

  it("describes expressions for people", () => {
    expect(describeCron("0 9 * * 1-5")).toMatch(/09:00.*Monday through Friday/);
  });
});
