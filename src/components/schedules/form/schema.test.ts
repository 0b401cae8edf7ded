/** The schedule sheet's form model for "Only after" (no cron, ADR 0024). */
import { describe, expect, it } from "vitest";
import type { ScheduleDto } from "@/lib/ui/types";
import { diffBody, initialValues, scheduleFormSchema, toBody, type ScheduleFormValues } from "./schema";
import { NO_DEPENDENCY } from "./trigger-fields";

const values = (over: Partial<ScheduleFormValues>): ScheduleFormValues => ({ ...initialValues(null), name: "B", prompt: "p", ...over });
function issues(v: ScheduleFormValues): Record<string, string> {
  const r = scheduleFormSchema.safeParse(v);
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
}

describe("schedule sheet: Only after (no cron)", () => {
  it("needs the upstream, not a schedule text; sends cronExpression null", () => {
    expect(issues(values({ scheduleMode: "after", schedule: "" }))).toEqual({ dependsOnScheduleId: expect.stringContaining("Pick the schedule") });
    const ok = values({ scheduleMode: "after", schedule: "", dependsOnScheduleId: "up-1" });
    expect(issues(ok)).toEqual({});
    expect(toBody(ok)).toMatchObject({ cronExpression: null, dependsOnScheduleId: "up-1" });
  });

  it("still needs the schedule text in the other modes", () => {
    expect(issues(values({ scheduleMode: "words", schedule: "" }))).toEqual({ schedule: "must not be empty" });
    expect(issues(values({ scheduleMode: "cron", schedule: "0 9 * * *", dependsOnScheduleId: NO_DEPENDENCY }))).toEqual({});
  });

  it("opens a saved cron-less schedule in Only after, and a PATCH from it sends only what changed", () => {
    const saved = { ...({} as ScheduleDto), ...toSavedDto() };
    const v = initialValues(saved);
    expect(v).toMatchObject({ scheduleMode: "after", schedule: "", dependsOnScheduleId: "up-1" });
    expect(diffBody(v, saved)).toEqual({});
    expect(diffBody({ ...v, scheduleMode: "cron", schedule: "0 9 * * *" }, saved)).toEqual({ cronExpression: "0 9 * * *" });
  });
});

function toSavedDto(): ScheduleDto {
  const base = toBody(values({ scheduleMode: "after", dependsOnScheduleId: "up-1" }));
  return {
    ...(base as unknown as ScheduleDto),
    id: "b",
    cronExpression: null,
    status: "active",
    expiresAt: null,
    pausedUntil: null,
  } as ScheduleDto;
}
