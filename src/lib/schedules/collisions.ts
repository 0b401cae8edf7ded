import "server-only";
import type { CronFieldCollection } from "cron-parser";
import { SCHEDULE_DEFAULTS } from "./defaults";
import type { Db } from "../db/client";
import { selectActiveSchedulesExcept } from "../db/queries/schedules";
import { selectGroupCap } from "../db/queries/concurrency-groups";
import type { ScheduleRow } from "../db/schema";
import type { CollisionWarning } from "../api-types";
import { processSingleton } from "../process-singleton";
import { hasCron, hasSecondsField, nextOccurrence, parseCronFields, previousOccurrence } from "./cron";

/** API.md `CollisionWarning` (its shape lives in the api-types leaf). */
export type { CollisionWarning };

/** Combined agent turns in one bucket at or above which schedules are said to collide (issue #5). */
export const COLLISION_STEP_THRESHOLD = 3000;
/** Width of a collision bucket. */
export const COLLISION_BUCKET_MS = 5 * 60_000;
const DAY_MS = 24 * 3600_000;
const BUCKETS = DAY_MS / COLLISION_BUCKET_MS; // 288

/**
 * Expected agent turns per firing of a schedule: its measured average once it
 * has fired, else its turn budget `maxTurns` (what the user said a run may take; an
 * upper bound, so a new schedule errs towards warning), else SCHEDULE_DEFAULTS.maxTurns — the
 * budget its tasks would actually get.
 */
export function expectedStepsPerFiring(s: Pick<ScheduleRow, "avgTurnsPerFiring" | "maxTurns">): number {
  if (s.avgTurnsPerFiring != null && s.avgTurnsPerFiring > 0) return s.avgTurnsPerFiring;
  return s.maxTurns ?? SCHEDULE_DEFAULTS.maxTurns;
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

/**
 * UTC offset of `timeZone` at instant `ms`, in ms (positive east of Greenwich). Offsets
 * change on hour boundaries, so one Intl call per (zone, UTC hour) is memoized in `memo`.
 */
function offsetMs(ms: number, timeZone: string, memo?: Map<string, number>): number {
  const key = `${timeZone}|${Math.floor(ms / 3600_000)}`;
  const hit = memo?.get(key);
  if (hit !== undefined) return hit;
  const hourStart = Math.floor(ms / 3600_000) * 3600_000;
  const w = wallClock(hourStart, timeZone);
  const offset = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi) - hourStart;
  memo?.set(key, offset);
  return offset;
}

/** The UTC instant of a wall-clock time in `timeZone` (a time in a DST gap lands an hour off; fine for a nominal day). */
function zonedToUtc(y: number, mo: number, d: number, h: number, mi: number, timeZone: string, memo?: Map<string, number>): number {
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  const first = guess - offsetMs(guess, timeZone, memo);
  return guess - offsetMs(first, timeZone, memo);
}

/**
 * Parsed cron fields by expression. cron-parser's parse costs ~0.3 ms, and a save
 * compares against every active schedule, whose expressions rarely change: keep them.
 */
function cronFields(expression: string): CronFieldCollection | null {
  const cache = processSingleton("collision-cron-fields", () => new Map<string, CronFieldCollection | null>());
  if (cache.has(expression)) return cache.get(expression)!;
  let fields: CronFieldCollection | null;
  try {
    fields = parseCronFields(expression);
  } catch {
    fields = null;
  }
  if (cache.size >= 5000) cache.clear();
  cache.set(expression, fields);
  return fields;
}

/**
 * True when a local calendar date satisfies the month, day-of-month and day-of-week
 * fields — cron-parser's own rule (CronExpression#matchDayOfMonth): when both day fields
 * are restricted either may match; `L` (last day / last weekday) and `#n` (nth weekday)
 * honoured. Re-stated here because asking cron-parser per date costs ~1 ms
 * (collisions.test.ts checks this against cron-parser day by day).
 */
export function matchesCalendarDay(fields: CronFieldCollection, y: number, mo: number, d: number): boolean {
  if (!fields.month.values.includes(mo as never)) return false;
  const dow = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  const lastDay = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const domValues = fields.dayOfMonth.values as (number | string)[];
  const dowValues = fields.dayOfWeek.values as (number | string)[];
  const matchedDom = domValues.includes(d) || (fields.dayOfMonth.hasLastChar && d === lastDay);
  const nth = fields.dayOfWeek.nthDay;
  const matchedDow =
    ((dowValues.includes(dow) || (dow === 0 && dowValues.includes(7))) && (nth <= 0 || Math.ceil(d / 7) === nth)) ||
    (fields.dayOfWeek.hasLastChar && d + 7 > lastDay && dowValues.some((v) => typeof v === "string" && Number.parseInt(v.charAt(0), 10) % 7 === dow));
  const domRestricted = !fields.dayOfMonth.isWildcard;
  const dowRestricted = !fields.dayOfWeek.isWildcard;
  if (domRestricted && dowRestricted) return matchedDom || matchedDow;
  if (!dowRestricted) return matchedDom;
  return matchedDow;
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
 * Expands every field of a cron expression over the window [start, start + 24 h) in
 * its own timezone: the month and day fields pick the local dates, the hour × minute ×
 * second fields the times of a matching date. Work is bounded by 2–3 dates × 24 × 60
 * wall-clock minutes per schedule whatever the firing rate (a per-second schedule counts
 * 60 firings per minute without enumerating them), with no cron-parser iteration.
 */
function expand(cronExpression: string, timeZone: string, windowStart: number, memo: Map<string, number>): Expansion | null {
  const fields = cronFields(cronExpression);
  if (!fields) return null;
  const seconds = fields.second.values.length;
  const hours = fields.hour.values.map(Number);
  const minuteValues = fields.minute.values.map(Number);
  const firings = new Float64Array(BUCKETS);
  const minutes: Expansion["minutes"] = [];
  const windowEnd = windowStart + DAY_MS;

  const first = wallClock(windowStart, timeZone);
  const last = wallClock(windowEnd - 1, timeZone);
  for (let day = Date.UTC(first.y, first.mo - 1, first.d); day <= Date.UTC(last.y, last.mo - 1, last.d); day += DAY_MS) {
    const date = new Date(day);
    const y = date.getUTCFullYear();
    const mo = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    if (!matchesCalendarDay(fields, y, mo, d)) continue;
    for (const h of hours) {
      const hourStart = zonedToUtc(y, mo, d, h, 0, timeZone, memo);
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
  const offset = hasSecondsField(cronExpression) ? 1 : 0;
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
 * compared with itself. Completed/expired schedules get no warning. Other schedules in the
 * saved schedule's concurrency group, when that group has a cap (concurrency_groups), count
 * only up to the cap: in each bucket the largest `cap − 1` of them (so with cap 1 — "never
 * run together" — none): the claim keeps the rest apart, they queue instead of colliding
 * (issue 12 item 4; the forecast shows that queueing delay).
 *
 * Returns at most one warning summarising every crowded bucket. When the saved
 * schedule fires at one time of day, `suggestedMinute` is the nearest minute whose
 * bucket has no other firing (else the least loaded one under the threshold).
 *
 * @param now UTC ms; defaults to `schedule.updatedAt` (the save time).
 */
export async function computeCollisionWarnings(db: Db, schedule: ScheduleRow, now: number = schedule.updatedAt): Promise<CollisionWarning[]> {
  if (schedule.status !== "active" && schedule.status !== "paused") return [];
  if (!hasCron(schedule)) return []; // chained only (ADR 0024): no cron firings to collide
  const tz = schedule.timezone;
  let nextFire: number | null;
  try {
    nextFire = nextOccurrence(schedule.cronExpression, tz, now);
  } catch {
    return [];
  }
  if (nextFire === null) return [];
  // Local midnight of that day (cron-parser moves a midnight skipped by DST to the first valid minute).
  const windowStart = previousOccurrence("0 0 * * *", tz, nextFire) ?? nextFire;
  const memo = new Map<string, number>();
  const own = expand(schedule.cronExpression, tz, windowStart, memo);
  if (!own || !own.minutes.length) return [];
  const ownWeight = expectedStepsPerFiring(schedule);

  const others = await selectActiveSchedulesExcept(db, schedule.id);
  // Same capped concurrency group (issue 12 item 4): the group's cap keeps its members apart,
  // so at most `cap` of them (this one included) run in a bucket; the rest wait in the queue.
  const groupCap = schedule.concurrencyGroup ? ((await selectGroupCap(db, schedule.concurrencyGroup))?.maxConcurrent ?? null) : null;
  const isMate = (o: { concurrencyGroup: string | null }) => groupCap != null && o.concurrencyGroup === schedule.concurrencyGroup;
  /** Per bucket, the steps of each group mate firing there (only the largest cap − 1 count). */
  const mateSteps = new Map<number, { id: string; name: string; steps: number }[]>();

  const othersSteps = new Float64Array(BUCKETS);
  const perBucketSchedules = new Map<number, { id: string; name: string; steps: number }[]>();
  // Schedules sharing an expression and timezone share an expansion.
  const expansions = new Map<string, Expansion | null>();
  for (const o of others) {
    const key = `${o.timezone}|${o.cronExpression}`;
    if (!expansions.has(key)) expansions.set(key, expand(o.cronExpression, o.timezone, windowStart, memo));
    const e = expansions.get(key)!;
    if (!e) continue;
    const weight = expectedStepsPerFiring(o);
    const mate = isMate(o);
    for (let b = 0; b < BUCKETS; b++) {
      if (!e.firings[b]) continue;
      if (mate) {
        const list = mateSteps.get(b) ?? [];
        list.push({ id: o.id, name: o.name, steps: e.firings[b] * weight });
        mateSteps.set(b, list);
        continue;
      }
      othersSteps[b] += e.firings[b] * weight;
      if (own.firings[b]) {
        const list = perBucketSchedules.get(b) ?? [];
        list.push({ id: o.id, name: o.name, steps: e.firings[b] * weight });
        perBucketSchedules.set(b, list);
      }
    }
  }

  // The group mates that can run beside this schedule in a bucket: the largest cap − 1.
  for (const [b, list] of mateSteps) {
    const admitted = list.sort((x, y) => y.steps - x.steps).slice(0, Math.max(0, groupCap! - 1));
    for (const m of admitted) {
      othersSteps[b] += m.steps;
      if (own.firings[b]) perBucketSchedules.set(b, [...(perBucketSchedules.get(b) ?? []), m]);
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
  const w = wallClock(nextFire, tz);
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
