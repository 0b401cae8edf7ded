import { describe, expect, it } from "vitest";
import { CronError, validateCron } from "./cron";
import { explainCronError } from "./cron-messages";

const messageOf = (expr: string) => {
  try {
    validateCron(expr, "UTC");
  } catch (err) {
    expect(err).toBeInstanceOf(CronError);
    return (err as Error).message;
  }
  throw new Error(`${expr} was accepted`);
};

describe("cron error messages name the field, once", () => {
  it.each([
    ["61 * * * *", "Minute: 61 is outside 0–59"],
    ["* 25 * * *", "Hour: 25 is outside 0–23"],
    ["* * 32 * *", "Day of month: 32 is outside 1–31"],
    ["* * * 13 *", "Month: 13 is outside 1–12"],
    ["* * * * 9", "Day of week: 9 is outside 0–7"],
    ["70 * * * * *", "Second: 70 is outside 0–59"],
    ["0 61 * * * *", "Minute: 61 is outside 0–59"],
    ["abc * * * *", 'Minute: "abc" is not a value this field takes'],
  ])("%s → %s", (expr, expected) => {
    const msg = messageOf(expr);
    expect(msg).toBe(expected);
    expect(msg).not.toMatch(/Constraint error|invalid cron expression/i);
  });

  it("falls back to the cleaned parser message when no single field is at fault", () => {
    expect(explainCronError("* * * * * * *", "Invalid cron expression, too many fields")).toBe("too many fields");
  });
});
