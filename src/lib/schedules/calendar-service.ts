import "server-only";
/**
 * Calendar actions on a schedule (issue 12 items 2, 3; ADR 0015): skip the next
 * occurrence, backfill a past range, and the calendar part of a create/PATCH (windows,
 * exclusion dates, jitter, pause-until, one-shot). Times are UTC ms.
 */
import type { Db } from "../db/client";
import { withTransaction } from "../db/client";
import { selectScheduleLocked, updateScheduleAfterSkip } from "../db/queries/calendar";
import { insertTaskIfAbsent } from "../db/queries/tasks-core";
import type { ScheduleRow } from "../db/schema";
import { AppError, invalidRequest, notFound } from "../errors";
import { recordEvent } from "../events/log";
import { pokeScheduler } from "../scheduler/control";
import { occurrenceTask } from "../scheduler/occurrence-planner";
import { CALENDAR_LIMITS } from "../db/constants";
import { decideOccurrence } from "./calendar";
import type { BackfillInput } from "./calendar-input";
import { CronError, hasCron, nextOccurrence, occurrencesBetween } from "./cron";
import { OneShotError, resolveOneShot, type OneShot } from "./one-shot";

/** The calendar fields a create or PATCH may carry (calendar-input.ts `calendarFields`). */
export interface CalendarInput {
  jitterSec?: number;
  activeWindow?: ScheduleRow["activeWindow"];
  excludeDates?: string[] | null;
  pausedUntil?: number | null;
  runOnceAt?: string;
}

/**
 * Reads `runOnceAt` (plain words or ISO) in `timezone` (one-shot.ts).
 * @throws AppError 400 `invalid_request` with `fields.runOnceAt`.
 */
export function oneShotOf(runOnceAt: string, timezone: string, now: number): OneShot {
  try {
    return resolveOneShot(runOnceAt, timezone, now);
  } catch (err) {
    if (err instanceof OneShotError) throw invalidRequest({ runOnceAt: err.message });
    if (err instanceof CronError) throw invalidRequest({ [err.field === "timezone" ? "timezone" : "runOnceAt"]: err.message });
    throw err;
  }
}

/**
 * Applies the calendar fields of a create or PATCH to `next` (the row about to be
 * written; mutated): jitter, window, exclusion dates copied; `runOnceAt` makes it a
 * one-shot (cron of that instant, maxFirings 1, expiresAt = the instant, firingCount 0);
 * `pausedUntil` in the future pauses it with reason `paused_until` (nextFireAt null; the
 * loop resumes it then); `pausedUntil: null` on a schedule paused until a time keeps it
 * paused with no auto-resume; resuming (`status: "active"`) clears it. Returns what the
 * service must do next: `paused` when this pauses it, `cronChanged` for a one-shot.
 * @throws AppError 400 `invalid_request` (`runOnceAt`, `pausedUntil` not in the future).
 */
export function applyCalendarInput(next: ScheduleRow, input: CalendarInput & { status?: string }, now: number): { paused: boolean; cronChanged: boolean } {
  if (input.jitterSec !== undefined) next.jitterSec = input.jitterSec;
  if (input.activeWindow !== undefined) next.activeWindow = input.activeWindow;
  if (input.excludeDates !== undefined) next.excludeDates = input.excludeDates?.length ? input.excludeDates : null;
  let cronChanged = false;
  if (input.runOnceAt !== undefined) {
    const shot = oneShotOf(input.runOnceAt, next.timezone, now);
    next.cronExpression = shot.cronExpression;
    next.maxFirings = 1;
    next.expiresAt = shot.at;
    next.firingCount = 0;
    cronChanged = true;
  }
  let paused = false;
  if (input.pausedUntil != null) {
    if (input.pausedUntil <= now) throw invalidRequest({ pausedUntil: "must be in the future" });
    if (input.status === "active") throw invalidRequest({ pausedUntil: "can't be set while resuming (status active)" });
    next.status = "paused";
    next.pausedReason = "paused_until";
    next.pausedUntil = input.pausedUntil;
    next.nextFireAt = null;
    paused = true;
  } else if (input.pausedUntil === null && next.pausedUntil != null) {
    next.pausedUntil = null;
    if (next.status === "paused" && next.pausedReason === "paused_until") next.pausedReason = "paused_by_user";
  }
  if (input.status === "active") next.pausedUntil = null;
  if (input.status === "paused" && input.pausedUntil === undefined && next.pausedReason !== "paused_until") next.pausedUntil = null;
  return { paused, cronChanged };
}

/**
 * Skips a schedule's next occurrence (POST /api/schedules/:id/skip-next): in one
 * transaction, with the schedule row locked (queries/calendar.ts), the occurrence at
 * `nextFireAt` gets its root task as `skipped` / `skipped_by_user` (so history shows it and
 * the unique index keeps any runner from planning it again) and `nextFireAt` moves to the
 * following occurrence; past `expiresAt` (or none) the schedule expires. Not a firing.
 * Returns the updated schedule.
 * @throws AppError 404 `schedule_not_found`, 409 `schedule_not_active` (paused, completed,
 *   expired: there is no next occurrence to skip).
 */
export async function skipNextOccurrence(db: Db, id: string, now: number): Promise<ScheduleRow> {
  const updated = await withTransaction(db, async (tx) => {
    const s = await selectScheduleLocked(tx, id);
    if (!s) throw notFound("schedule", id);
    if (!hasCron(s)) throw new AppError("schedule_not_active", `Schedule "${s.name}" has no cron: it runs only after its upstream, so it has no next occurrence to skip.`);
    if (s.status !== "active" || s.nextFireAt == null) {
      throw new AppError("schedule_not_active", `Schedule "${s.name}" is ${s.status}; only an active schedule has a next occurrence to skip.`);
    }
    const skipped = s.nextFireAt;
    const row = occurrenceTask(s, skipped, now, "skipped", { skippedReason: "skipped_by_user" });
    await insertTaskIfAbsent(tx, row);
    let nextFireAt = nextOccurrence(s.cronExpression, s.timezone, skipped);
    let status: ScheduleRow["status"] = s.status;
    if (nextFireAt == null || (s.expiresAt != null && nextFireAt > s.expiresAt)) {
      nextFireAt = null;
      status = "expired";
    }
    const lastPlannedAt = Math.max(s.lastPlannedAt ?? 0, skipped);
    await updateScheduleAfterSkip(tx, id, { lastPlannedAt, nextFireAt, status, updatedAt: now });
    await recordEvent(tx, {
      kind: "occurrence_skipped",
      scheduleId: id,
      taskId: row.id,
      message: `Skipped the occurrence of ${new Date(skipped).toISOString()}${status === "expired" ? "; no occurrence left before expiresAt, schedule expired" : ""}`,
      data: { plannedAt: skipped, nextFireAt },
      createdAt: now,
    });
    if (status === "expired") {
      await recordEvent(tx, { kind: "schedule_expired", scheduleId: id, message: "Expired: its last occurrence was skipped", createdAt: now });
    }
    return { ...s, lastPlannedAt, nextFireAt, status, updatedAt: now };
  });
  pokeScheduler("schedule_saved");
  return updated;
}

/** What a backfill did. */
export interface BackfillResult {
  /** Tasks created, queued, oldest occurrence first. */
  taskIds: string[];
  /** Occurrences of the range that already had their root task (left as they are). */
  existing: number;
  /** Occurrences the calendar leaves out (excluded date, outside the active window). */
  leftOut: number;
}

/**
 * Backfill (issue 12 item 3; POST /api/schedules/:id/backfill): the first `maxCount`
 * (default 100) occurrences of `[from, to]` become queued root tasks with their nominal
 * `plannedAt` and `backfill = true`, in one transaction; they go through the normal queue
 * and cap (drained FIFO by plannedAt, the overlap policy's per-schedule serialization). An
 * occurrence that already has a root task is left alone (the occurrence unique index,
 * `ON CONFLICT DO NOTHING`: a second identical request creates nothing). Occurrences the
 * calendar would not have run (excluded date, outside the window) are left out; jitter and
 * the defer policy don't apply (past occurrences run as soon as a slot frees); `notBefore` =
 * the request's instant, so their firing lateness counts from the request. Backfill runs
 * are not firings (firingCount, maxFirings untouched).
 * @throws AppError 404 `schedule_not_found`; 409 `schedule_not_active` (a paused schedule's
 *   queued runs would be skipped at fire); 400 `invalid_request` when `to` is in the future.
 */
export async function backfillSchedule(db: Db, id: string, input: BackfillInput, now: number): Promise<BackfillResult> {
  if (input.to > now) throw invalidRequest({ to: "must not be in the future: backfill runs past occurrences" });
  const maxCount = input.maxCount ?? CALENDAR_LIMITS.backfillDefaultCount;
  const result = await withTransaction(db, async (tx) => {
    const s = await selectScheduleLocked(tx, id);
    if (!s) throw notFound("schedule", id);
    if (s.status !== "active") throw new AppError("schedule_not_active", `Schedule "${s.name}" is ${s.status}; resume it before backfilling.`);
    if (!hasCron(s)) throw invalidRequest({ from: `schedule "${s.name}" has no cron (it runs only after its upstream): there are no past occurrences to backfill` });
    const out: BackfillResult = { taskIds: [], existing: 0, leftOut: 0 };
    for (const plannedAt of occurrencesBetween(s.cronExpression, s.timezone, input.from - 1, input.to, maxCount)) {
      if (decideOccurrence(s, plannedAt).kind === "skip") {
        out.leftOut += 1;
        continue;
      }
      // notBefore = now holds nothing back (the request is in the past of every claim) but
      // makes firing lateness count from the request, not from an occurrence hours ago.
      const row = { ...occurrenceTask(s, plannedAt, now, "queued", { notBefore: now }), backfill: true };
      if (await insertTaskIfAbsent(tx, row)) out.taskIds.push(row.id);
      else out.existing += 1;
    }
    await recordEvent(tx, {
      kind: "backfill_requested",
      scheduleId: id,
      message: `Backfill ${new Date(input.from).toISOString()} – ${new Date(input.to).toISOString()}: ${out.taskIds.length} queued, ${out.existing} already had a run, ${out.leftOut} left out by the calendar`,
      data: { from: input.from, to: input.to, maxCount, queued: out.taskIds.length, existing: out.existing, leftOut: out.leftOut },
      createdAt: now,
    });
    return out;
  });
  if (result.taskIds.length) pokeScheduler("manual_run");
  return result;
}
