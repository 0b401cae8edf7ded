import cronstrue from "cronstrue";
import { describe, expect, it, vi } from "vitest";
import { describeCron } from "./cron";

describe("describeCron memo (GET /api/schedules describes every schedule, issue 15)", () => {
  it("asks cronstrue once per expression and returns the same text after", () => {
    const spy = vi.spyOn(cronstrue, "toString");
    try {
      const first = describeCron("17 4 * * 2");
      for (let i = 0; i < 50; i++) expect(describeCron("17 4 * * 2")).toBe(first);
      expect(first).toMatch(/04:17.*Tuesday/);
      expect(spy).toHaveBeenCalledTimes(1);
      // An expression cronstrue rejects is returned as is, and remembered too.
      expect(describeCron("not a cron")).toBe("not a cron");
      expect(describeCron("not a cron")).toBe("not a cron");
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});
