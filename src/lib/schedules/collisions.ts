import "server-only";
import { and, eq, ne } from "drizzle-orm";
import { CronExpressionParser } from "cron-parser";
import { DEFAULT_MAX_TURNS } from "../db/constants";
import type { Db } from "../db/client";
import { schedules, type ScheduleRow } from "../db/schema";
import { nextOccurrence, previousOccurrence } from "./cron";

/**
 * API.md `CollisionWarning`, plus additive fields the sheet uses: the other schedules'
 * ids, the nominal day analysed, and (for a schedule that fires at one time of day) a
 * nearby free minute with the cron expression that would use it.
 */
export interface CollisionWarning {
  type: "cron_collision";
  /** Names of the other active schedules that share a crowded 5-minute bucket, biggest contributor first. */
  overlappingSchedules: string[];
  overlappingScheduleIds: string[];
  /** Minutes of the day (0–1439, the saved schedule's timezone) at which it fires into a crowded bucket. */
  overlappingMinutes: number[];
  /** The largest combined agent-step estimate of a crowded bucket (saved schedule included). */
  estimatedConcurrentSteps: number;
  /** Minute of the day (0–1439, saved schedule's timezone) whose bucket is free, nearest the collision. */
  suggestedMinute?: number;
  /** `cronExpression` with its minute and hour fields moved to `suggestedMinute`. */
  suggestedCronExpression?: string;
  /** Local date (YYYY-MM-DD, saved schedule's timezone) of the nominal day analysed. */
  referenceDay: string;
}

/** Combined agent steps in one bucket at or above which schedules are said to collide (issue #5). */
export const COLLISION_STEP_THRESHOLD = 3000;
/** Width of a collision bucket. */
export const COLLISION_BUCKET_MS = 5 * 60_000;
const DAY_MS = 24 * 3600_000;
const BUCKETS = DAY_MS / COLLISION_BUCKET_MS; // 288

/**
 * Expected agent steps (turns) per firing of a schedule: its measured average once it
 * has fired, else its turn budget `maxTurns` (what the user said a run may take; an
 * upper bound, so a new schedule errs towards warning), else DEFAULT_MAX_TURNS — the
 * budget its tasks would actually get.
 */
export function expectedStepsPerFiring(s: Pick<ScheduleRow, "avgTurnsPerFiring" | "maxTurns">): number {
  if (s.avgTurnsPerFiring != null && s.avgTurnsPerFiring > 0) return s.avgTurnsPerFiring;
  return s.maxTurns ?? DEFAULT_MAX_TURNS;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of a UTC instant in `timeZone`. */
function wallClock(ms: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number } {
  const p: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute };
}

/** UTC offset of `timeZone` at instant `ms`, in ms (positive east of Greenwich). */
function offsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) - Math.floor(ms / 60_000) * 60_000;
}

/** The UTC instant of a wall-clock time in `timeZone` (a time in a DST gap lands an hour off; fine for a nominal day). */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const first = guess - offsetMs(guess, timeZone);
  const second = guess - offsetMs(first, timeZone);
  return second;
}

interface Expansion {
  /** Firings per bucket of the nominal day (index 0 = window start). */
  firings: Float64Array;
  /** Minutes of the day (schedule's own timezone) it fires at, with their bucket. */
  minutes: { minuteOfDay: number; bucket: number }[];
  hours: number[];
  minuteValues: number[];
}

/**
 * Expands every field of a cron expression over the window [start, start + 24 h):
 * cron-parser decides which local dates match (day-of-month, month, day-of-week and
 * their special characters), the hour × minute × second fields give the times of
 * a matching day. Work is bounded by 3 dates × 24 × 60 wall-clock minutes per
 * schedule, whatever the firing rate (a per-second schedule counts 60 firings per
 * minute without enumerating them).
 */
function expand(cronExpression: string, timeZone: string, windowStart: number): Expansion | null {
  let fields;
  try {
    fields = CronExpressionParser.parse(cronExpression, { tz: timeZone }).fields;
  } catch {
    return null;
  }
  const seconds = fields.second.values.length;
  const hours = fields.hour.values.map(Number);
  const minuteValues = fields.minute.values.map(Number);
  const firings = new Float64Array(BUCKETS);
  const minutes: Expansion["minutes"] = [];
  const windowEnd = windowStart + DAY_MS;

  const first = wallClock(windowStart, timeZone);
  const last = wallClock(windowEnd - 1, timeZone);
  // Local dates touched by the window (two when the timezones differ, one otherwise).
  const dates: { y: number; mo: number; d: number }[] = [];
  for (let day = Date.UTC(first.y, first.mo - 1, first.d); day <= Date.UTC(last.y, last.mo - 1, last.d); day += DAY_MS) {
    const dt = new Date(day);
    dates.push({ y: dt.getUTCFullYear(), mo: dt.getUTCMonth() + 1, d: dt.getUTCDate() });
  }
  for (const date of dates) {
    const dayStart = zonedToUtc(date.y, date.mo, date.d, 0, 0, timeZone);
    const next = new Date(Date.UTC(date.y, date.mo - 1, date.d) + DAY_MS);
    const dayEnd = zonedToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0, timeZone);
    const firstFire = nextOccurrence(cronExpression, timeZone, dayStart - 1);
    if (firstFire === null || firstFire >= dayEnd) continue; // the day fields exclude this date
    for (const h of hours) {
      const hourStart = zonedToUtc(date.y, date.mo, date.d, h, 0, timeZone);
      for (const m of minuteValues) {
        const at = hourStart + m * 60_000;
        if (at < windowStart || at >= windowEnd) continue;
        const bucket = Math.floor((at - windowStart) / COLLISION_BUCKET_MS);
        firings[bucket] += seconds;
        minutes.push({ minuteOfDay: h * 60 + m, bucket });
      }
    }
  }
  return { firings, minutes, hours, minuteValues };
}

/** Replaces the minute and hour fields of a 5- or 6-field expression. */
function withTimeOfDay(cronExpression: string, minuteOfDay: number): string {
  const f = cronExpression.trim().split(/\s+/);
  const offset = f.length === 6 ? 1 : 0;
  f[offset] = String(minuteOfDay % 60);
  f[offset + 1] = String(Math.floor(minuteOfDay / 60));
  return f.join(" ");
}

/**
 * Collision warnings for a saved schedule (API.md `warnings`, issue #5 item 2).
 *
 * Model: one nominal day — the 24 h from local midnight (the saved schedule's timezone)
 * of the day it next fires after `now`, so day-of-week/month fields are honoured. Every
 * schedule is expanded in its own timezone into 288 five-minute buckets; each firing
 * weighs `expectedStepsPerFiring`. A bucket where the saved schedule fires, at least
 * one other **active** schedule fires, and the combined steps reach
 * COLLISION_STEP_THRESHOLD (3000) is crowded. The saved schedule itself is never
 * compared with itself. Completed/expired schedules get no warning.
 *
 * Returns at most one warning summarising every crowded bucket. When the saved
 * schedule fires at one time of day, `suggestedMinute` is the nearest minute whose
 * bucket has no other firing (else the least loaded one under the threshold).
 *
 * @param now UTC ms; defaults to `schedule.updatedAt` (the save time).
 */
export function computeCollisionWarnings(db: Db, schedule: ScheduleRow, now: number = schedule.updatedAt): CollisionWarning[] {
  if (schedule.status !== "active" && schedule.status !== "paused") return [];
  const tz = schedule.timezone;
  let nextFire: number | null;
  try {
    nextFire = nextOccurrence(schedule.cronExpression, tz, now);
  } catch {
    return [];
  }
  if (nextFire === null) return [];
  const windowStart = previousOccurrence("0 0 * * *", tz, nextFire) ?? nextFire;
  const own = expand(schedule.cronExpression, tz, windowStart);
  if (!own || !own.minutes.length) return [];
  const ownWeight = expectedStepsPerFiring(schedule);

  const others = db
    .select({
      id: schedules.id,
      name: schedules.name,
      cronExpression: schedules.cronExpression,
      timezone: schedules.timezone,
      avgTurnsPerFiring: schedules.avgTurnsPerFiring,
      maxTurns: schedules.maxTurns,
    })
    .from(schedules)
    .where(and(eq(schedules.status, "active"), ne(schedules.id, schedule.id)))
    .all();

  const othersSteps = new Float64Array(BUCKETS);
  const perBucketSchedules = new Map<number, { id: string; name: string; steps: number }[]>();
  for (const o of others) {
    const e = expand(o.cronExpression, o.timezone, windowStart);
    if (!e) continue;
    const weight = expectedStepsPerFiring(o);
    for (let b = 0; b < BUCKETS; b++) {
      if (!e.firings[b]) continue;
      othersSteps[b] += e.firings[b] * weight;
      if (own.firings[b]) {
        const list = perBucketSchedules.get(b) ?? [];
        list.push({ id: o.id, name: o.name, steps: e.firings[b] * weight });
        perBucketSchedules.set(b, list);
      }
    }
  }

  const crowded = new Set<number>();
  let peak = 0;
  const involved = new Map<string, { name: string; steps: number }>();
  for (const [b, list] of perBucketSchedules) {
    const combined = own.firings[b] * ownWeight + othersSteps[b];
    if (combined < COLLISION_STEP_THRESHOLD) continue;
    crowded.add(b);
    peak = Math.max(peak, combined);
    for (const s of list) {
      const prev = involved.get(s.id);
      if (!prev || prev.steps < s.steps) involved.set(s.id, { name: s.name, steps: s.steps });
    }
  }
  if (!crowded.size) return [];

  // Biggest contributors first: they are what the banner's "Overlap with …" should lead with.
  const ranked = [...involved].sort(([, a], [, b]) => b.steps - a.steps || a.name.localeCompare(b.name));
  const overlappingMinutes = [...new Set(own.minutes.filter((m) => crowded.has(m.bucket)).map((m) => m.minuteOfDay))].sort((a, b) => a - b);
  const w = wallClock(windowStart, tz);
  const warning: CollisionWarning = {
    type: "cron_collision",
    overlappingSchedules: ranked.map(([, v]) => v.name),
    overlappingScheduleIds: ranked.map(([id]) => id),
    overlappingMinutes,
    estimatedConcurrentSteps: Math.round(peak),
    referenceDay: `${w.y}-${String(w.mo).padStart(2, "0")}-${String(w.d).padStart(2, "0")}`,
  };

  // A free minute only makes sense to offer for a once-a-day time (one hour, one minute).
  if (own.hours.length === 1 && own.minuteValues.length === 1) {
    const original = own.hours[0] * 60 + own.minuteValues[0];
    const originalBucket = own.minutes[0].bucket;
    const ownSteps = Math.max(...own.firings) * ownWeight;
    // Free buckets first, then the nearest to the original time, then the least loaded.
    let best: { bucket: number; load: number; score: number } | null = null;
    for (let b = 0; b < BUCKETS; b++) {
      if (b === originalBucket) continue;
      const load = othersSteps[b];
      if (load > 0 && load + ownSteps >= COLLISION_STEP_THRESHOLD) continue;
      const score = (load === 0 ? 0 : BUCKETS) + Math.abs(b - originalBucket);
      if (!best || score < best.score || (score === best.score && load < best.load)) best = { bucket: b, load, score };
    }
    if (best) {
      warning.suggestedMinute = best.bucket * 5 + (original % 5);
      warning.suggestedCronExpression = withTimeOfDay(schedule.cronExpression, warning.suggestedMinute);
    }
  }
  return [warning];
}
