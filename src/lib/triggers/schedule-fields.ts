/**
 * The trigger fields of a schedule (issue 12 items 1 and 7; API.md v2 "Triggers and
 * calendar"): zod input spread into the schedule input schemas, and the column defaults
 * of a new schedule. Client-safe (zod only): the schedule sheet validates with it too.
 */
import { z } from "zod";
import type { ScheduleRow } from "../db/schema";

/** `dependsOnScheduleId`: run after each success of that schedule (besides the cron); null = no dependency. */
export const triggerScheduleFields = {
  dependsOnScheduleId: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(100, "is too long").nullable(),
};

/** A new schedule's trigger columns: no fire URL token, no dependency. */
export const SCHEDULE_TRIGGER_DEFAULTS = {
  hookTokenHash: null,
  hookTokenCreatedAt: null,
  dependsOnScheduleId: null,
  dependsOnSince: null,
} as const satisfies Pick<ScheduleRow, "hookTokenHash" | "hookTokenCreatedAt" | "dependsOnScheduleId" | "dependsOnSince">;
