/**
 * zod input schemas for the schedules API (API.md "Schedules"). Bounds come from
 * LIMITS in db/constants.ts; enum values from the same file.
 */
import { z } from "zod";
import { CATCH_UP_POLICIES, LIMITS, OVERLAP_POLICIES } from "../db/constants";
import { checkPromptVariables } from "../triggers/prompt-variables";
import { triggerScheduleFields } from "../triggers/schedule-fields";
import { calendarFields } from "./calendar-input";
import { concurrencyGroupScheduleFields } from "../concurrency-groups/fields";
import { scheduleSpendFields } from "../budgets/input";
import { notificationScheduleFields } from "../notifications/schedule-fields";

const oneOf = (values: readonly string[]) => `must be one of ${values.join(", ")}`;

const int = (min: number, max: number) =>
  z
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`);

const INSTANT_RANGE = "must be between 1970-01-01 and 9999-12-31";

/**
 * Accepts an ISO-8601 string (≤ 40 chars) or epoch milliseconds within
 * LIMITS.timestampMinMs…timestampMaxMs (1970…9999); yields UTC ms. Out-of-range values
 * (1e300, -1e308, 2^53) are refused: they can't be stored and serialized back.
 */
const instant = z
  .union([z.string().max(40, "is too long"), z.number()], { error: "must be an ISO-8601 date or epoch milliseconds" })
  .transform((v, ctx) => {
    const ms = typeof v === "number" ? v : Date.parse(v);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: "custom", message: "must be an ISO-8601 date or epoch milliseconds" });
      return z.NEVER;
    }
    if (ms < LIMITS.timestampMinMs || ms > LIMITS.timestampMaxMs) {
      ctx.addIssue({ code: "custom", message: INSTANT_RANGE });
      return z.NEVER;
    }
    return Math.trunc(ms);
  });

/**
 * Fields shared by POST and PATCH; every one optional here. Exported (client-safe: zod and
 * constants only) so the dashboard's sheet validates with the same bounds and messages.
 */
export const scheduleFields = {
  name: z
    .string({ error: "must be a string" })
    .trim()
    .min(1, "must not be empty")
    .max(LIMITS.nameMax, `must be at most ${LIMITS.nameMax} characters`),
  prompt: z
    .string({ error: "must be a string" })
    .refine((s) => s.trim().length > 0, "must not be empty")
    .refine((s) => s.length <= LIMITS.promptMax, `must be at most ${LIMITS.promptMax} characters`)
    .superRefine(checkPromptVariables),
  cronExpression: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "is too long"),
  schedule: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "is too long"),
  timezone: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(64, "is too long"),
  runtimeId: z.string({ error: "must be a string" }).min(1).max(100).nullable(),
  maxTurns: int(LIMITS.maxTurnsMin, LIMITS.maxTurnsMax).nullable(),
  maxRunDurationSec: int(1, LIMITS.maxRunDurationSecMax).nullable(),
  maxAttempts: int(1, LIMITS.maxAttemptsMax),
  overlapPolicy: z.enum(OVERLAP_POLICIES, { error: oneOf(OVERLAP_POLICIES) }),
  catchUpPolicy: z.enum(CATCH_UP_POLICIES, { error: oneOf(CATCH_UP_POLICIES) }),
  catchUpWindowSec: int(0, LIMITS.catchUpWindowSecMax),
  maxFirings: int(1, LIMITS.maxFiringsMax).nullable(),
  expiresAt: instant.nullable(),
  status: z.enum(["active", "paused"], { error: oneOf(["active", "paused"]) }),
  ...triggerScheduleFields,
  ...concurrencyGroupScheduleFields,
  ...scheduleSpendFields,
  ...notificationScheduleFields,
};

const body = z.object({}, { error: "must be a JSON object" });

export const scheduleCreateSchema = body
  .extend({
    ...scheduleFields,
    cronExpression: scheduleFields.cronExpression.nullable().optional(),
    schedule: scheduleFields.schedule.optional(),
    timezone: scheduleFields.timezone.optional(),
    runtimeId: scheduleFields.runtimeId.optional(),
    maxTurns: scheduleFields.maxTurns.optional(),
    maxRunDurationSec: scheduleFields.maxRunDurationSec.optional(),
    maxAttempts: scheduleFields.maxAttempts.optional(),
    overlapPolicy: scheduleFields.overlapPolicy.optional(),
    catchUpPolicy: scheduleFields.catchUpPolicy.optional(),
    catchUpWindowSec: scheduleFields.catchUpWindowSec.optional(),
    maxFirings: scheduleFields.maxFirings.optional(),
    expiresAt: scheduleFields.expiresAt.optional(),
    status: scheduleFields.status.optional(),
    dependsOnScheduleId: scheduleFields.dependsOnScheduleId.optional(),
    ...calendarFields,
    maxCostUsdPerRun: scheduleFields.maxCostUsdPerRun.optional(),
    maxCostUsd24h: scheduleFields.maxCostUsd24h.optional(),
    maxCostUsd7d: scheduleFields.maxCostUsd7d.optional(),
    notificationChannelIds: scheduleFields.notificationChannelIds.optional(),
    notifyOn: scheduleFields.notifyOn.optional(),
    quietResultMarker: scheduleFields.quietResultMarker.optional(),
  })
  .superRefine((v, ctx) => {
    // Cron optional with an upstream (ADR 0024): a schedule needs a cron, an upstream, or both.
    if (v.cronExpression == null && v.schedule === undefined && v.runOnceAt === undefined && !v.dependsOnScheduleId) {
      ctx.addIssue({ code: "custom", path: ["cronExpression"], message: NO_CRON_NO_UPSTREAM });
    }
  });

/** The 400 message for a schedule that would have neither a cron nor an upstream (ADR 0024). */
export const NO_CRON_NO_UPSTREAM =
  "is required unless `dependsOnScheduleId` names an upstream schedule (give `cronExpression`, `schedule` in plain words, `runOnceAt`, or `dependsOnScheduleId` to run only after another schedule succeeds)";

export const schedulePatchSchema = body
  .extend(
    Object.fromEntries(Object.entries(scheduleFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof scheduleFields]: z.ZodOptional<(typeof scheduleFields)[K]>;
    },
  )
  // null = no cron: allowed only while the schedule has an upstream (checked against the row in updateSchedule).
  .extend({ cronExpression: scheduleFields.cronExpression.nullable().optional() })
  .extend(calendarFields);

export type ScheduleCreateInput = z.infer<typeof scheduleCreateSchema>;
export type SchedulePatchInput = z.infer<typeof schedulePatchSchema>;

export const schedulePreviewSchema = z
  .object({
    cronExpression: scheduleFields.cronExpression.optional(),
    schedule: scheduleFields.schedule.optional(),
    timezone: scheduleFields.timezone.optional(),
    count: z.coerce.number({ error: "must be a number" }).int("must be an integer").min(1, "must be between 1 and 50").max(50, "must be between 1 and 50").optional(),
  })
  .superRefine((v, ctx) => {
    if (v.cronExpression === undefined && v.schedule === undefined) {
      ctx.addIssue({ code: "custom", path: ["cronExpression"], message: "is required (or give `schedule` in plain words)" });
    }
  });
