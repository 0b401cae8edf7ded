/**
 * Calendar controls of a schedule (issue 12 items 2 and 5; ADR
 * docs/adr/0015-calendar-windows-defer-jitter.md): the active window, exclusion dates and
 * jitter, decided per occurrence. Pure functions of the occurrence instant (UTC ms) and
 * the schedule's zone, so every runner, every restart and the preview agree.
 *
 * - The wall clock of an occurrence is read at the instant it fires (its offset at that
 *   instant): a window "09:00–17:00" means local 09:00–17:00 on both sides of a DST change.
 * - A window start (for the defer policy) is found with THE occurrence function of cron.ts
 *   (`M H * * days`), so a start inside a spring-forward gap is the first instant after the
 *   gap and a repeated start is its first occurrence — the ADR 0007 rule, not a second one.
 */
import { createHash } from "node:crypto";
import type { ActiveWindow } from "../db/constants";
import { nextOccurrence } from "./cron";
import { zoneOffsets } from "./zone-offsets";

/** The calendar columns of a schedule with their "no control" values (spread into new rows). */
export const CALENDAR_DEFAULTS = { jitterSec: 0, activeWindow: null, excludeDates: null, pausedUntil: null } as const;

/** What a schedule needs for calendar decisions. */
export interface CalendarSchedule {
  id: string;
  cronExpression: string;
  timezone: string;
  jitterSec: number;
  activeWindow: ActiveWindow | null;
  excludeDates: string[] | null;
}

/** The verdict on one occurrence. `notBefore` (UTC ms) is when a queued task may start; null = at once. */
export type OccurrenceVerdict =
  | { kind: "run"; notBefore: number | null }
  | { kind: "skip"; reason: "outside_window" | "excluded_date" };

const DAY_MS = 86_400_000;

/** "HH:MM" → minutes after midnight (0…1439); NaN when malformed. */
export function minutesOf(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
}

/** Local wall clock of instant `t` in `tz`: date "YYYY-MM-DD", ISO weekday (1 = Mon), minute of day. */
export function wallClock(t: number, tz: string): { date: string; weekday: number; minute: number } {
  const wall = t + zoneOffsets(tz).offsetAt(t);
  const day = Math.floor(wall / DAY_MS);
  const minute = Math.floor((wall - day * DAY_MS) / 60_000);
  // 1970-01-01 was a Thursday (ISO 4).
  const weekday = ((((day + 3) % 7) + 7) % 7) + 1;
  return { date: new Date(day * DAY_MS).toISOString().slice(0, 10), weekday, minute };
}

/**
 * True when instant `t` lies inside `w` in `tz`: its local weekday is one of `days` and its
 * local time is in [start, end); for an overnight window (end ≤ start) the part after
 * midnight belongs to the previous day's window.
 */
export function insideWindow(w: ActiveWindow, tz: string, t: number): boolean {
  const { weekday, minute } = wallClock(t, tz);
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  if (end > start) return w.days.includes(weekday) && minute >= start && minute < end;
  const previous = weekday === 1 ? 7 : weekday - 1;
  return (w.days.includes(weekday) && minute >= start) || (w.days.includes(previous) && minute < end);
}

/** The cron expression of a window's starts (`M H * * d,d`), cron weekdays 0–6 (7 = Sunday → 0). */
export function windowStartCron(w: ActiveWindow): string {
  const start = minutesOf(w.start);
  const days = [...new Set(w.days.map((d) => d % 7))].sort((a, b) => a - b);
  return `${start % 60} ${Math.floor(start / 60)} * * ${days.join(",")}`;
}

/**
 * The first window start strictly after `t` (UTC ms), by the occurrence function of cron.ts
 * (ADR 0007 DST rule), or null when none within its horizon (never for a valid window).
 */
export function nextWindowStart(w: ActiveWindow, tz: string, t: number): number | null {
  return nextOccurrence(windowStartCron(w), tz, t);
}

/**
 * This occurrence's jitter (ms), deterministic: SHA-256 of `scheduleId:plannedAt` read as a
 * fraction u ∈ [0, 1), times the bound — `jitterSec` s, but strictly less than the gap to
 * the next occurrence (`nextPlannedAt`), so a jittered start never reaches the next
 * occurrence. 0 when `jitterSec` is 0. Restarts and other runners compute the same value.
 * @param plannedAt nominal occurrence, UTC ms. @param nextPlannedAt the following one or null.
 */
export function jitterOffsetMs(scheduleId: string, plannedAt: number, jitterSec: number, nextPlannedAt: number | null): number {
  if (jitterSec <= 0) return 0;
  const bound = Math.min(jitterSec * 1000, nextPlannedAt != null ? nextPlannedAt - plannedAt : Number.POSITIVE_INFINITY);
  if (!(bound > 1)) return 0;
  const digest = createHash("sha256").update(`${scheduleId}:${plannedAt}`).digest();
  const u = digest.readUIntBE(0, 6) / 2 ** 48;
  return Math.floor(u * bound);
}

/**
 * Decides one occurrence (`plannedAt`, UTC ms) of `s` — THE calendar rule, applied by the
 * planner and by backfill:
 * 1. its local date is in `excludeDates` → skip `excluded_date`;
 * 2. outside `activeWindow`: policy `skip` → skip `outside_window`; policy `defer` → run,
 *    not before the window's next start (plus this occurrence's jitter, kept inside the
 *    window);
 * 3. else run, not before `plannedAt` + its jitter (null when no jitter).
 * `plannedAt` itself always stays nominal (the occurrence's identity, the unique index).
 * @throws CronError when the schedule's cron or zone can't be evaluated.
 */
export function decideOccurrence(s: CalendarSchedule, plannedAt: number): OccurrenceVerdict {
  if (s.excludeDates?.length && s.excludeDates.includes(wallClock(plannedAt, s.timezone).date)) return { kind: "skip", reason: "excluded_date" };
  const jitter = s.jitterSec > 0 ? jitterOffsetMs(s.id, plannedAt, s.jitterSec, nextOccurrence(s.cronExpression, s.timezone, plannedAt)) : 0;
  const w = s.activeWindow;
  if (w && !insideWindow(w, s.timezone, plannedAt)) {
    if (w.policy === "skip") return { kind: "skip", reason: "outside_window" };
    const start = nextWindowStart(w, s.timezone, plannedAt);
    if (start == null) return { kind: "skip", reason: "outside_window" };
    let length = minutesOf(w.end) - minutesOf(w.start);
    if (length <= 0) length += 24 * 60;
    return { kind: "run", notBefore: start + Math.min(jitter, length * 60_000 - 1) };
  }
  return { kind: "run", notBefore: jitter > 0 ? plannedAt + jitter : null };
}
