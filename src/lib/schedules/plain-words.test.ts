import { describe, expect, it } from "vitest";
import { describeCron, nextOccurrences } from "./cron";
import { expandCronMacro, parsePlainWords, plainWordsToCron } from "./plain-words";

describe("plainWordsToCron", () => {
  it.each([
    ["every 15 minutes", "*/15 * * * *"],
    ["Every 1 minute", "* * * * *"],
    ["every minute", "* * * * *"],
    ["every 10 seconds", "*/10 * * * * *"],
    ["every 2 hours", "0 */2 * * *"],
    ["every 60 minutes", "0 * * * *"],
    ["every 120 minutes", "0 */2 * * *"],
    ["every 24 hours", "0 0 * * *"],
    ["every 120 seconds", "*/2 * * * *"],
    ["hourly", "0 * * * *"],
    ["daily", "0 0 * * *"],
    ["weekly", "0 0 * * 0"],
    ["monthly", "0 0 1 * *"],
    ["@hourly", "0 * * * *"],
    ["@daily", "0 0 * * *"],
    ["@midnight", "0 0 * * *"],
    ["@weekly", "0 0 * * 0"],
    ["@monthly", "0 0 1 * *"],
    ["@yearly", "0 0 1 1 *"],
    ["weekdays at 9:00", "0 9 * * 1-5"],
    ["weekends at 10am", "0 10 * * 0,6"],
    ["daily at 18:30", "30 18 * * *"],
    ["every day at 6:30 pm", "30 18 * * *"],
    ["every day at noon", "0 12 * * *"],
    ["daily at midnight", "0 0 * * *"],
    ["twice a day", "0 0,12 * * *"],
    ["three times a day", "0 0,8,16 * * *"],
    ["4 times a day", "0 0,6,12,18 * * *"],
    ["twice an hour", "0,30 * * * *"],
    ["once a day", "0 0 * * *"],
    ["every weekday at 8:30 and 17:30", "30 8,17 * * 1-5"],
    ["every day at 9, 13 and 17", "0 9,13,17 * * *"],
    ["daily at 9:00 and 9:30", "0,30 9 * * *"],
    ["first Monday of the month", "0 0 * * 1#1"],
    ["the first monday of the month at 9:00", "0 9 * * 1#1"],
    ["third Wednesday of every month at 14:15", "15 14 * * 3#3"],
    ["last friday of the month at 17:00", "0 17 * * 5L"],
    ["every monday at 08:15", "15 8 * * 1"],
    ["fridays at 12am", "0 0 * * 5"],
    ["hourly at :15", "15 * * * *"],
  ])("%s → %s", (words, cron) => {
    expect(plainWordsToCron(words)).toBe(cron);
    expect(parsePlainWords(words)).toEqual({ cron });
  });

  it.each(["every 0 minutes", "daily at 25:00", "weekdays at 13pm", "sometimes", "every blursday at 9", "first blursday of the month", "", "zillion times a day"])(
    "does not understand %j",
    (words) => {
      expect(parsePlainWords(words)).toBeNull();
      expect(plainWordsToCron(words)).toBeNull();
    },
  );

  it.each([
    ["every 7 minutes", /every 7 minutes is not one cron expression.*4 minutes from :56 to :00/],
    ["every 45 minutes", /15 minutes from :45 to :00/],
    ["every 90 minutes", /1\.5 hours.*repeat only every 3 hours/],
    ["every 5 hours", /4 hours from 20:00 to 00:00/],
    ["every 7 seconds", /4 seconds from second 56 to second 0/],
    ["every 36 hours", /1\.5 days/],
    ["5 times a day", /24 hours don't divide by 5/],
    ["every weekday at 8:30 and 17:45", /would also fire at 08:45/],
    ["fifth monday of the month", /skip months silently/],
  ])("refuses %j with the reason", (words, reason) => {
    const r = parsePlainWords(words);
    expect(r).toHaveProperty("refused");
    expect((r as { refused: string }).refused).toMatch(reason);
    expect(plainWordsToCron(words)).toBeNull();
  });

  it("expands cron macros only", () => {
    expect(expandCronMacro(" @Daily ")).toBe("0 0 * * *");
    expect(expandCronMacro("@fortnightly")).toBeUndefined();
    expect(expandCronMacro("daily")).toBeUndefined();
  });

  it("fires the first Monday of the month (cron-parser's #n) on the fixed clock", () => {
    const next = nextOccurrences(plainWordsToCron("first monday of the month at 9:00")!, "UTC", Date.UTC(2026, 11, 2), 3);
    expect(next.map((t) => new Date(t).toISOString())).toEqual(["2026-12-07T09:00:00.000Z", "2027-01-04T09:00:00.000Z", "2027-02-01T09:00:00.000Z"]);
    expect(describeCron("0 9 * * 1#1")).toBe("At 09:00, on the first Monday of the month");
  });
});

describe("describeCron tells the truth about steps that don't divide their field", () => {
  it.each([
    ["*/7 * * * *", "At 0, 7, 14, 21, 28, 35, 42, 49, and 56 minutes past the hour (7 minutes apart, then 4 minutes from :56 to :00)"],
    ["0/7 * * * *", "At 0, 7, 14, 21, 28, 35, 42, 49, and 56 minutes past the hour (7 minutes apart, then 4 minutes from :56 to :00)"],
    ["*/7 9-17 * * 1-5", "At 0, 7, 14, 21, 28, 35, 42, 49, and 56 minutes past the hour, between 09:00 and 17:59, Monday through Friday (7 minutes apart within each hour)"],
    ["0 */5 * * *", "At 00:00, 05:00, 10:00, 15:00 and 20:00 (5 hours apart, then 4 hours from 20:00 to 00:00)"],
    ["*/7 * * * * *", "At 0, 7, 14, 21, 28, 35, 42, 49, and 56 seconds past the minute (7 seconds apart, then 4 seconds from second 56 to second 0)"],
    ["*/15 * * * *", "Every 15 minutes"],
    ["0 */6 * * *", "On the hour, every 6 hours"],
  ])("%s → %s", (cron, words) => {
    expect(describeCron(cron)).toBe(words);
  });

  it("matches the real occurrences: :56 is followed by :00", () => {
    const next = nextOccurrences("*/7 * * * *", "UTC", Date.UTC(2026, 11, 2, 10, 50), 3);
    expect(next.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(["10:56", "11:00", "11:07"]);
  });
});
