/**
 * One source for schedule defaults (src/lib/schedules/defaults.ts): the drizzle schema's
 * column defaults, the service (POST /api/schedules with only the required fields) and
 * the schedule sheet's initial values all agree with SCHEDULE_DEFAULTS.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { POST as create } from "@/app/api/schedules/route";
import { initialValues, toBody } from "@/components/schedules/form/schema";
import { schedules } from "@/lib/db/schema";
import { schedules as pgSchedules } from "@/lib/db/schema-pg";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { callRoute } from "./http";
import { makeRuntime, truncateAll } from "./factories";

describe("SCHEDULE_DEFAULTS", () => {
  it.each([
    ["SQLite", schedules],
    ["PostgreSQL", pgSchedules],
  ] as const)("are the %s schema's column defaults (and nullable columns have none)", (_dialect, table) => {
    expect(table.timezone.default).toBe(SCHEDULE_DEFAULTS.timezone);
    expect(table.status.default).toBe(SCHEDULE_DEFAULTS.status);
    expect(table.maxAttempts.default).toBe(SCHEDULE_DEFAULTS.maxAttempts);
    expect(table.overlapPolicy.default).toBe(SCHEDULE_DEFAULTS.overlapPolicy);
    expect(table.catchUpPolicy.default).toBe(SCHEDULE_DEFAULTS.catchUpPolicy);
    expect(table.catchUpWindowSec.default).toBe(SCHEDULE_DEFAULTS.catchUpWindowSec);
    // Stored as null = inherit / unlimited / never.
    for (const col of [table.maxTurns, table.maxRunDurationSec, table.maxFirings, table.expiresAt]) {
      expect(col.notNull, col.name).toBe(false);
      expect(col.hasDefault, col.name).toBe(false);
    }
  });

  it("fill what the sheet shows for a new schedule, and what it sends", () => {
    const form = initialValues(null);
    expect(form).toMatchObject({
      maxAttempts: String(SCHEDULE_DEFAULTS.maxAttempts),
      overlapPolicy: SCHEDULE_DEFAULTS.overlapPolicy,
      catchUpPolicy: SCHEDULE_DEFAULTS.catchUpPolicy,
      catchUpWindowSec: String(SCHEDULE_DEFAULTS.catchUpWindowSec),
      maxTurns: "",
      paused: false,
    });
    expect(toBody({ ...form, name: "n", prompt: "p", schedule: "every hour" })).toMatchObject({
      maxAttempts: SCHEDULE_DEFAULTS.maxAttempts,
      catchUpWindowSec: SCHEDULE_DEFAULTS.catchUpWindowSec,
      maxTurns: null,
    });
  });

  describe("the service", () => {
    beforeEach(async () => {
      await truncateAll();
      await makeRuntime({ isDefault: true });
    });

    it("gives a schedule created with only the required fields the defaults", async () => {
      const res = await callRoute(create, "/api/schedules", { method: "POST", json: { name: "bare", prompt: "p", cronExpression: "0 9 * * *" } });
      expect(res.status).toBe(201);
      expect(res.data.schedule).toMatchObject({
        timezone: SCHEDULE_DEFAULTS.timezone,
        status: SCHEDULE_DEFAULTS.status,
        maxTurns: null,
        maxRunDurationSec: SCHEDULE_DEFAULTS.maxRunDurationSec,
        maxAttempts: SCHEDULE_DEFAULTS.maxAttempts,
        overlapPolicy: SCHEDULE_DEFAULTS.overlapPolicy,
        catchUpPolicy: SCHEDULE_DEFAULTS.catchUpPolicy,
        catchUpWindowSec: SCHEDULE_DEFAULTS.catchUpWindowSec,
        maxFirings: SCHEDULE_DEFAULTS.maxFirings,
        expiresAt: SCHEDULE_DEFAULTS.expiresAt,
      });
    });
  });
});
