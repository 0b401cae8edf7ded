/**
 * zod input of the calendar controls (issue 12 items 2, 3, 5; API.md v2 "Triggers and
 * calendar"), spread into the schedule input schemas (input.ts) and used by the
 * dashboard's calendar section. Client-safe: zod and constants only.
 */
import { z } from "zod";
import { CALENDAR_LIMITS, LIMITS, WINDOW_POLICIES } from "../db/constants";

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date "YYYY-MM-DD" (no 2026-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

/** An instant as ISO-8601 (≤ 40 chars) or epoch ms, within LIMITS; yields UTC ms. */
const instant = z
  .union([z.string().max(40, "is too long"), z.number()], { error: "must be an ISO-8601 date or epoch milliseconds" })
  .transform((v, ctx) => {
    const ms = typeof v === "number" ? v : Date.parse(v);
    if (!Number.isFinite(ms) || ms < LIMITS.timestampMinMs || ms > LIMITS.timestampMaxMs) {
      ctx.addIssue({ code: "custom", message: "must be an ISO-8601 date or epoch milliseconds between 1970 and 9999" });
      return z.NEVER;
    }
    return Math.trunc(ms);
  });

/** `activeWindow`: ISO weekdays 1–7 (1 = Monday), "HH:MM" start and end (end ≤ start spans midnight), policy. */
export const activeWindowSchema = z
  .object(
    {
      days: z
        .array(z.number({ error: "must be weekday numbers 1–7 (1 = Monday)" }).int().min(1, "must be 1–7 (1 = Monday)").max(7, "must be 1–7 (1 = Monday)"), {
          error: "must be a list of weekdays 1–7 (1 = Monday)",
        })
        .min(1, "must name at least one day")
        .max(7, "has more than 7 days")
        .transform((d) => [...new Set(d)].sort((a, b) => a - b)),
      start: z.string({ error: "must be HH:MM" }).regex(HHMM, "must be HH:MM (00:00–23:59)"),
      end: z.string({ error: "must be HH:MM" }).regex(HHMM, "must be HH:MM (00:00–23:59)"),
      policy: z.enum(WINDOW_POLICIES, { error: `must be one of ${WINDOW_POLICIES.join(", ")}` }),
    },
    { error: "must be an object {days, start, end, policy} or null" },
  )
  .refine((w) => w.start !== w.end, { path: ["end"], message: "must differ from start" });

/** The calendar fields of POST/PATCH /api/schedules, every one optional. */
export const calendarFields = {
  jitterSec: z
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(0, `must be between 0 and ${CALENDAR_LIMITS.jitterSecMax}`)
    .max(CALENDAR_LIMITS.jitterSecMax, `must be between 0 and ${CALENDAR_LIMITS.jitterSecMax}`)
    .optional(),
  activeWindow: activeWindowSchema.nullable().optional(),
  excludeDates: z
    .array(z.string({ error: "must be dates YYYY-MM-DD" }).refine(isCalendarDate, "must be dates YYYY-MM-DD"), { error: "must be a list of dates YYYY-MM-DD" })
    .max(CALENDAR_LIMITS.excludeDatesMax, `must have at most ${CALENDAR_LIMITS.excludeDatesMax} dates`)
    .transform((d) => [...new Set(d)].sort())
    .nullable()
    .optional(),
  /** Pause now and resume by itself at this instant; null clears the auto-resume. */
  pausedUntil: instant.nullable().optional(),
  /** A one-shot: plain words ("tomorrow at 9:00", "in 2 hours") or an ISO time, in the schedule's zone. */
  runOnceAt: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(200, "is too long").optional(),
};

/** POST /api/schedules/:id/backfill `{from, to, maxCount?}` (maxCount 1…1000, default 100). */
export const backfillSchema = z
  .object(
    {
      from: instant,
      to: instant,
      maxCount: z
        .number({ error: "must be a number" })
        .int("must be an integer")
        .min(1, `must be between 1 and ${CALENDAR_LIMITS.backfillMaxCount}`)
        .max(CALENDAR_LIMITS.backfillMaxCount, `must be between 1 and ${CALENDAR_LIMITS.backfillMaxCount}`)
        .optional(),
    },
    { error: "must be a JSON object" },
  )
  .refine((v) => v.from < v.to, { path: ["to"], message: "must be after from" });
export type BackfillInput = z.infer<typeof backfillSchema>;
