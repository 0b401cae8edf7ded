import { describe, expect, it } from "vitest";
import { CronError, describeCron, isValidTimezone, nextOccurrence, occurrencesBetween, previousOccurrence, requireNextOccurrence, validateCron } from "./cron";

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

/** Occurrences in (from, to] as "ISO local-time offset" strings, for readable expectations. */
function fires(expr: string, tz: string, from: string, to: string): string[] {
  const fmt = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "longOffset", hourCycle: "h23" });
  return occurrencesBetween(expr, tz, Date.parse(from), Date.parse(to), 1000).map((t) => `${new Date(t).toISOString().slice(0, 16)} ${fmt.format(t)}`);
}

describe("DST rule (docs/design.md \"Time zones and DST\")", () => {
  it("Australia/Lord_Howe fall-back 02:00 +11 → 01:30 +10:30: hourly skips nothing and never stalls; */30 fires the repeated 01:30", () => {
    expect(fires("0 * * * *", "Australia/Lord_Howe", "2026-04-04T13:30:00Z", "2026-04-04T16:40:00Z")).toEqual([
      "2026-04-04T14:00 01:00:00 GMT+11:00",
      "2026-04-04T15:30 02:00:00 GMT+10:30",
      "2026-04-04T16:30 03:00:00 GMT+10:30",
    ]);
    expect(fires("*/30 * * * *", "Australia/Lord_Howe", "2026-04-04T14:10:00Z", "2026-04-04T16:10:00Z")).toEqual([
      "2026-04-04T14:30 01:30:00 GMT+11:00",
      "2026-04-04T15:00 01:30:00 GMT+10:30",
      "2026-04-04T15:30 02:00:00 GMT+10:30",
      "2026-04-04T16:00 02:30:00 GMT+10:30",
    ]);
    // A fixed time in the repeated half hour fires once, at its first occurrence.
    expect(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", "2026-04-05T00:00:00Z")).toEqual(["2026-04-04T14:45 01:45:00 GMT+11:00"]);
  });

  it("Australia/Lord_Howe spring-forward 02:00 +10:30 → 02:30 +11: gap times of a fixed cron fire at 02:30; interval crons skip the gap", () => {
    expect(fires("0 2 * * 0", "Australia/Lord_Howe", "2026-09-30T00:00:00Z", "2026-10-08T00:00:00Z")).toEqual(["2026-10-03T15:30 02:30:00 GMT+11:00"]);
    expect(fires("0,15 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z")).toEqual(["2026-10-03T15:30 02:30:00 GMT+11:00"]);
    expect(fires("*/30 * * * *", "Australia/Lord_Howe", "2026-10-03T14:40:00Z", "2026-10-03T16:00:00Z")).toEqual([
      "2026-10-03T15:00 01:30:00 GMT+10:30",
      "2026-10-03T15:30 02:30:00 GMT+11:00",
      "2026-10-03T16:00 03:00:00 GMT+11:00",
    ]);
  });

  it("America/New_York: gap → 03:00 EDT; repeated 01:30 once for a fixed cron, twice (an hour apart) for hourly and seconds crons", () => {
    expect(fires("30 2 * * *", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z")).toEqual(["2026-03-08T07:00 03:00:00 GMT-04:00"]);
    expect(fires("30 1 * * *", "America/New_York", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z")).toEqual(["2026-11-01T05:30 01:30:00 GMT-04:00"]);
    expect(fires("30 * * * *", "America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T07:00:00Z")).toEqual([
      "2026-11-01T04:30 00:30:00 GMT-04:00",
      "2026-11-01T05:30 01:30:00 GMT-04:00",
      "2026-11-01T06:30 01:30:00 GMT-05:00",
    ]);
    // An hour field that is not every hour is a fixed-time cron: 00:00 EDT, then 02:00 EST.
    expect(fires("0 */2 * * *", "America/New_York", "2026-11-01T03:30:00Z", "2026-11-01T07:30:00Z")).toEqual([
      "2026-11-01T04:00 00:00:00 GMT-04:00",
      "2026-11-01T07:00 02:00:00 GMT-05:00",
    ]);
    const secs = occurrencesBetween("*/15 * * * * *", "America/New_York", Date.parse("2026-11-01T05:00:00Z"), Date.parse("2026-11-01T07:00:00Z"), 10_000);
    expect(secs).toHaveLength(480); // two real hours, every 15 s, none twice
    expect(new Set(secs.map((t, i) => (i ? t - secs[i - 1] : 15_000)))).toEqual(new Set([15_000]));
  });

  it("Europe/London, Asia/Kolkata (no DST, +05:30), Pacific/Chatham (+12:45/+13:45) and Asia/Kathmandu (+05:45)", () => {
    expect(fires("30 1 * * *", "Europe/London", "2026-03-29T00:00:00Z", "2026-03-30T00:00:00Z")).toEqual(["2026-03-29T01:00 02:00:00 GMT+01:00"]);
    expect(fires("30 1 * * *", "Europe/London", "2026-10-25T00:00:00Z", "2026-10-26T00:00:00Z")).toEqual(["2026-10-25T00:30 01:30:00 GMT+01:00"]);
    expect(fires("0 9 * * *", "Asia/Kolkata", "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z")).toEqual([
      "2026-03-01T03:30 09:00:00 GMT+05:30",
      "2026-03-02T03:30 09:00:00 GMT+05:30",
    ]);
    // Chatham springs forward 02:45 → 03:45 on the last Sunday of September.
    expect(fires("0 3 * * *", "Pacific/Chatham", "2026-09-26T00:00:00Z", "2026-09-27T00:00:00Z")).toEqual(["2026-09-26T14:00 03:45:00 GMT+13:45"]);
    expect(fires("0 0 * * *", "Asia/Kathmandu", "2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z")).toEqual(["2026-06-01T18:15 00:00:00 GMT+05:45"]);
  });

  it("previous occurrence agrees with next around a gap and a repeat", () => {
    const lh = "Australia/Lord_Howe";
    expect(previousOccurrence("0 2 * * 0", lh, Date.parse("2026-10-03T16:00:00Z"))).toBe(Date.parse("2026-10-03T15:30:00Z"));
    expect(previousOccurrence("*/30 * * * *", lh, Date.parse("2026-04-04T15:10:00Z"))).toBe(Date.parse("2026-04-04T15:00:00Z"));
    expect(previousOccurrence("30 1 * * *", "America/New_York", Date.parse("2026-11-01T06:45:00Z"))).toBe(Date.parse("2026-11-01T05:30:00Z"));
    expect(previousOccurrence("0 0 1 1 *", "UTC", Date.UTC(2026, 5, 1))).toBe(Date.UTC(2026, 0, 1));
  });

  it("has no next occurrence beyond the 10-year horizon, and says so", () => {
    // The fifth Monday of February: next in 2044.
    expect(nextOccurrence("0 0 * 2 1#5", "UTC", Date.UTC(2026, 0, 1))).toBeNull();
    expect(() => requireNextOccurrence("0 0 * 2 1#5", "UTC", Date.UTC(2026, 0, 1))).toThrow(/no occurrence in the next 10 years/);
    expect(() => validateCron("0 0 * 2 1#5", "UTC", Date.UTC(2026, 0, 1))).toThrow(CronError);
    // 29 February is 8 years away around 2100, inside the horizon.
    expect(new Date(nextOccurrence("0 0 29 2 *", "UTC", Date.UTC(2097, 0, 1))!).toISOString()).toBe("2104-02-29T00:00:00.000Z");
  });
});

describe("our matching keeps cron-parser's syntax and day rule", () => {
  it("gives cron-parser's own UTC occurrences (no DST there) for every kind of field, over a leap year", async () => {
    const { CronExpressionParser } = await import("cron-parser");
    const expressions = [
      "0 9 * * 1-5", "0 9 * * 7", "0 9 1,15 * 1", "0 9 L * *", "0 9 * * 5L", "0 9 * * 5#3", "0 9 29 2 *",
      "0 9 */10 * *", "0 9 31 * *", "0 0 L 2 *", "*/7 3-5 * JAN,JUL MON", "15,45 */6 ? * SUN", "0 12 1-7 * 2",
      "30 */20 * * * *", "0 0 0 1 1 *", "5 4 * * 0,6",
    ];
    const start = Date.UTC(2028, 0, 1);
    const end = Date.UTC(2029, 0, 1);
    for (const expr of expressions) {
      const it = CronExpressionParser.parse(expr, { tz: "UTC", currentDate: new Date(start) });
      const theirs: number[] = [];
      for (let t = it.next().getTime(); t <= end; t = it.next().getTime()) theirs.push(t);
      expect(occurrencesBetween(expr, "UTC", start, end, 100_000), expr).toEqual(theirs);
    }
  });
});
