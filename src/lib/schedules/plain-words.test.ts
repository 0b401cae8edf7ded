import { describe, expect, it } from "vitest";
import { plainWordsToCron } from "./plain-words";

describe("plainWordsToCron", () => {
  it.each([
    ["every 15 minutes", "*/15 * * * *"],
    ["Every 1 minute", "* * * * *"],
    ["every minute", "* * * * *"],
    ["every 10 seconds", "*/10 * * * * *"],
    ["every 2 hours", "0 */2 * * *"],
    ["hourly", "0 * * * *"],
    ["daily", "0 0 * * *"],
    ["weekly", "0 0 * * 0"],
    ["monthly", "0 0 1 * *"],
    ["weekdays at 9:00", "0 9 * * 1-5"],
    ["weekends at 10am", "0 10 * * 0,6"],
    ["daily at 18:30", "30 18 * * *"],
    ["every day at 6:30 pm", "30 18 * * *"],
    ["every monday at 08:15", "15 8 * * 1"],
    ["fridays at 12am", "0 0 * * 5"],
    ["hourly at :15", "15 * * * *"],
  ])("%s → %s", (words, cron) => {
    expect(plainWordsToCron(words)).toBe(cron);
  });

  it.each(["every 0 minutes", "every 60 minutes", "daily at 25:00", "weekdays at 13pm", "sometimes", "every blursday at 9", ""])(
    "rejects %j",
    (words) => {
      expect(plainWordsToCron(words)).toBeNull();
    },
  );
});
