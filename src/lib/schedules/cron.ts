/**
 * Cron evaluation, always in a named IANA timezone, and human descriptions
 * (cronstrue). Expressions have 5 fields (minute precision) or 6 (a leading seconds
 * field); cron-parser parses them, and the matching and the DST rule are ours
 * (docs/adr/0007-dst-rule-and-one-occurrence-function.md): cron-parser's own
 * iteration in a timezone throws "loop limit exceeded" on Australia/Lord_Howe and
 * repeats or drops occurrences around transitions. All instants are integer UTC
 * milliseconds.
 */
import { CronExpressionParser, type CronExpression, type CronFieldCollection } from "cron-parser";
import cronstrue from "cronstrue";
import { zoneOffsets, type ZoneOffsets } from "./zone-offsets";
import { explainCronError } from "./cron-messages";
import { unevenSteps } from "./cron-steps";

/** Thrown for an expression or timezone that cannot be evaluated; `field` names the input. */
export class CronError extends Error {
  constructor(
    readonly field: "cronExpression" | "timezone",
    message: string,
  ) {
    super(message);
    this.name = "CronError";
  }
}

/**
 * True when the schedule has a cron. A schedule with an upstream (`dependsOnScheduleId`)
 * may have none: it runs only after its upstream's successes and never from the planner
 * (ADR 0024). Every reader of `cronExpression` goes through this guard (or a query that
 * filters `cron_expression IS NOT NULL`).
 */
export function hasCron<T extends { cronExpression: string | null }>(s: T): s is T & { cronExpression: string } {
  return s.cronExpression != null;
}

/** True when `tz` is an IANA timezone this runtime knows (e.g. "Europe/Paris", "UTC"). */
export function isValidTimezone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  // Building an Intl.DateTimeFormat costs ~0.5 ms; the scheduler asks for every due
  // schedule on every pass, so known-good zones are remembered.
  if (knownTimezones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    knownTimezones.add(tz);
    return true;
  } catch {
    return false;
  }
}
const knownTimezones = new Set<string>();

function parse(expression: string, timezone: string, currentDate: number): CronExpression {
  if (!isValidTimezone(timezone)) throw new CronError("timezone", `unknown timezone "${timezone}"`);
  const trimmed = expression.trim().replace(/\s+/g, " ");
  const fields = trimmed.split(" ");
  if (fields.length !== 5 && fields.length !== 6) {
    throw new CronError("cronExpression", `must have 5 fields (or 6 with seconds), got ${fields.length}`);
  }
  try {
    return CronExpressionParser.parse(trimmed, { tz: timezone, currentDate: new Date(currentDate) });
  } catch (err) {
    throw new CronError("cronExpression", explainCronError(trimmed, (err as Error).message));
  }
}

/**
 * Checks an expression and timezone; returns the normalized expression (single spaces).
 * An expression that parses but has no occurrence within OCCURRENCE_HORIZON_MS after
 * `now` (e.g. "0 0 30 2 *") is refused: a schedule must never be stored active with no
 * next fire (invariant 6).
 * @param now UTC ms the horizon starts from.
 * @throws CronError naming `cronExpression` or `timezone`.
 */
export function validateCron(expression: string, timezone: string, now: number = Date.now()): string {
  const normalized = normalizeCron(expression, timezone);
  requireNextOccurrence(normalized, timezone, now);
  return normalized;
}

/**
 * Parses an expression and checks the timezone, without asking whether it ever fires;
 * returns the normalized expression (single spaces).
 * @throws CronError naming `cronExpression` or `timezone`.
 */
export function normalizeCron(expression: string, timezone: string): string {
  const normalized = expression.trim().replace(/\s+/g, " ");
  parse(normalized, timezone, Date.UTC(2030, 0, 1));
  return normalized;
}

/**
 * nextOccurrence that refuses "none": the first occurrence after `afterMs` (UTC ms).
 * @throws CronError (field `cronExpression`) when there is none within
 *   OCCURRENCE_HORIZON_MS, or for a bad expression or timezone.
 */
export function requireNextOccurrence(expression: string, timezone: string, afterMs: number): number {
  const next = nextOccurrence(expression, timezone, afterMs);
  if (next == null) throw new CronError("cronExpression", "has no occurrence in the next 10 years (e.g. the fifth Monday of February): it would never fire");
  return next;
}

/**
 * The parsed fields of an expression (timezone-independent), for callers that reason
 * about the fields themselves (collision warnings).
 * @throws CronError on a bad expression.
 */
export function parseCronFields(expression: string): CronFieldCollection {
  return parse(expression, "UTC", Date.UTC(2030, 0, 1)).fields;
}

/** True for 6-field expressions (a seconds field), whose occurrences are 1 s apart at most. */
export function hasSecondsField(expression: string): boolean {
  return expression.trim().split(/\s+/).length === 6;
}

/**
 * How far ahead an occurrence is looked for: 10 years (3,653 days), beyond the longest
 * gap between matching dates of any expression that matches at all (29 February:
 * 8 years around 2100). An expression with nothing in the horizon has "no next
 * occurrence": refused at save, expired when reached.
 */
export const OCCURRENCE_HORIZON_MS = 3653 * 86_400_000;

const DAY_MS = 86_400_000;

/**
 * A cron expression compiled for matching wall-clock times (local date and time
 * encoded as if it were UTC). Fields come from cron-parser's parser, so the syntax
 * (ranges, steps, L, #, H, names) is cron-parser's; the day rule copies its
 * `#matchDayOfMonth` (both day fields restricted → either matches).
 */
interface CompiledCron {
  seconds: number[];
  minutes: number[];
  hours: number[];
  months: boolean[];
  dom: boolean[];
  domLast: boolean;
  domWildcard: boolean;
  dow: boolean[];
  dowLast: boolean[];
  nthDay: number;
  dowWildcard: boolean;
  /** The hour field matches all 24 hours: an interval cron (docs/design.md "Time zones and DST"). */
  interval: boolean;
}

const compiledCache = new Map<string, CompiledCron>();

function compile(expression: string): CompiledCron {
  const key = expression.trim().replace(/\s+/g, " ");
  const hit = compiledCache.get(key);
  if (hit) return hit;
  const f = parse(key, "UTC", Date.UTC(2030, 0, 1)).fields;
  const flags = (values: readonly (number | string)[], size: number) => {
    const out = new Array<boolean>(size).fill(false);
    for (const v of values) if (typeof v === "number") out[v] = true;
    return out;
  };
  const dow = new Array<boolean>(7).fill(false);
  const dowLast = new Array<boolean>(7).fill(false);
  for (const v of f.dayOfWeek.values) {
    if (typeof v === "number") dow[v % 7] = true;
    else if (/^[0-7]L$/.test(v)) dowLast[Number(v[0]) % 7] = true;
  }
  const compiled: CompiledCron = {
    seconds: [...f.second.values].sort((a, b) => a - b),
    minutes: [...f.minute.values].sort((a, b) => a - b),
    hours: [...f.hour.values].sort((a, b) => a - b),
    months: flags(f.month.values, 13),
    dom: flags(f.dayOfMonth.values, 32),
    domLast: f.dayOfMonth.values.includes("L"),
    domWildcard: f.dayOfMonth.isWildcard,
    dow,
    dowLast,
    nthDay: f.dayOfWeek.nthDay,
    dowWildcard: f.dayOfWeek.isWildcard,
    interval: new Set(f.hour.values).size === 24,
  };
  if (compiledCache.size >= 1000) compiledCache.clear();
  compiledCache.set(key, compiled);
  return compiled;
}

/** [year, month 1–12, day 1–31] of a day number (days since 1970-01-01), proleptic Gregorian. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function dayMatches(c: CompiledCron, y: number, m: number, d: number, weekday: number): boolean {
  const dim = daysInMonth(y, m);
  const matchedDom = c.dom[d] || (c.domLast && d === dim);
  const matchedDow = (c.dow[weekday] && (c.nthDay <= 0 || Math.ceil(d / 7) === c.nthDay)) || (c.dowLast[weekday] && d + 7 > dim);
  if (!c.domWildcard && !c.dowWildcard) return matchedDom || matchedDow;
  if (!c.domWildcard) return matchedDom;
  if (!c.dowWildcard) return matchedDow;
  return matchedDom;
}

/** First second of the day ≥ `secondOfDay` whose hour, minute and second match, or −1. */
function firstTimeOfDay(c: CompiledCron, secondOfDay: number): number {
  const h0 = Math.floor(secondOfDay / 3600);
  const m0 = Math.floor(secondOfDay / 60) % 60;
  const s0 = secondOfDay % 60;
  for (const h of c.hours) {
    if (h < h0) continue;
    for (const m of c.minutes) {
      if (h === h0 && m < m0) continue;
      for (const s of c.seconds) {
        if (h === h0 && m === m0 && s < s0) continue;
        return h * 3600 + m * 60 + s;
      }
    }
  }
  return -1;
}

/** The first matching wall time ≥ `wallMs` and ≤ `limitWallMs` (wall ms: local time encoded as UTC), or null. */
function nextWallMatch(c: CompiledCron, wallMs: number, limitWallMs: number): number | null {
  const sec = Math.ceil(wallMs / 1000);
  let day = Math.floor(sec / 86_400);
  let sod = sec - day * 86_400;
  const lastDay = Math.floor(limitWallMs / DAY_MS);
  for (; day <= lastDay; day += 1, sod = 0) {
    const [y, m, d] = civilFromDays(day);
    if (!c.months[m]) {
      day += daysInMonth(y, m) - d; // the loop's += 1 lands on the 1st of next month
      continue;
    }
    if (!dayMatches(c, y, m, d, (((day + 4) % 7) + 7) % 7)) continue;
    const tod = firstTimeOfDay(c, sod);
    if (tod < 0) continue;
    const w = (day * 86_400 + tod) * 1000;
    return w <= limitWallMs ? w : null;
  }
  return null;
}

/**
 * The instants at which wall time `w` fires in `tz` — THE DST RULE (docs/design.md
 * "Time zones and DST"): a wall time that exists once fires then; one repeated by a
 * fall-back fires at its first occurrence, or at both for an interval cron (real
 * elapsed time); one inside a spring-forward gap fires at the first instant after the
 * gap, except for an interval cron, whose gap times do not exist and are not fired.
 */
function instantsOfWall(c: CompiledCron, zone: ZoneOffsets, w: number): number[] {
  const oA = zone.offsetAt(w - DAY_MS);
  const oB = zone.offsetAt(w + DAY_MS);
  const out: number[] = [];
  // The larger offset gives the earlier instant.
  for (const o of oA === oB ? [oA] : [Math.max(oA, oB), Math.min(oA, oB)]) {
    if (zone.offsetAt(w - o) === o) out.push(w - o);
  }
  if (out.length) return c.interval ? out : [out[0]];
  if (c.interval || oA === oB) return [];
  // In a gap [T + before, T + after): the transition T is in (w − after, w − before].
  const tr = zone.transitionsBetween(w - Math.max(oA, oB), w - Math.min(oA, oB));
  return tr.length ? [tr[0].at] : [];
}

/**
 * THE occurrence function: the first occurrence of `c` in `tz` strictly after
 * `afterMs`, within OCCURRENCE_HORIZON_MS, or null. nextOccurrence,
 * occurrencesBetween and previousOccurrence are all built on it, so the stepping and
 * the catch-up paths agree by construction.
 */
function occurrenceAfter(c: CompiledCron, zone: ZoneOffsets, afterMs: number): number | null {
  // Fast path, far from any transition: one offset, so the first matching wall time
  // after wall(afterMs) is the answer if its instant is still ≥ 2 days before the next
  // transition (instantsOfWall looks 1 day either side of a wall time).
  const span = zone.quietSpanAt(afterMs);
  if (afterMs - span.from > 2 * DAY_MS) {
    const o = span.offset;
    const w = nextWallMatch(c, afterMs + o + 1, Math.min(span.to - 2 * DAY_MS, afterMs + OCCURRENCE_HORIZON_MS) + o);
    if (w != null) return w - o;
  }
  // The earliest wall time that can give an instant after `afterMs`: wall(afterMs) in
  // the offset in force, and T + offset for each transition T soon after (a fall-back
  // puts the clock back below wall(afterMs)). Gap wall times start at or after these.
  let cursor = afterMs + span.offset;
  const soon = zone.transitionsBetween(afterMs, afterMs + 2 * DAY_MS);
  for (const tr of soon) cursor = Math.min(cursor, tr.at + tr.offsetAfter);
  // A wall time w can give an instant t ≤ best only if w ≤ best + (the offset at t), and
  // t > afterMs, so w ≤ best + the largest offset in force over (afterMs, best].
  const maxOffsetUpTo = (best: number) => {
    let max = span.offset;
    for (const tr of best <= afterMs + 2 * DAY_MS ? soon : zone.transitionsBetween(afterMs, best)) {
      if (tr.at <= best) max = Math.max(max, tr.offsetAfter);
    }
    return max;
  };
  let limit = afterMs + OCCURRENCE_HORIZON_MS + 2 * DAY_MS;
  let best: number | null = null;
  for (;;) {
    const w = nextWallMatch(c, cursor, limit);
    if (w == null) break;
    for (const t of instantsOfWall(c, zone, w)) {
      if (t > afterMs && (best == null || t < best)) {
        best = t;
        limit = best + maxOffsetUpTo(best);
      }
    }
    cursor = w + 1000;
  }
  return best != null && best - afterMs <= OCCURRENCE_HORIZON_MS ? best : null;
}

function compileFor(expression: string, timezone: string): { c: CompiledCron; zone: ZoneOffsets } {
  if (!isValidTimezone(timezone)) throw new CronError("timezone", `unknown timezone "${timezone}"`);
  return { c: compile(expression), zone: zoneOffsets(timezone) };
}

/**
 * The first occurrence strictly after `afterMs` (UTC ms), or null when there is none
 * within OCCURRENCE_HORIZON_MS. DST follows the rule in docs/design.md "Time zones and DST".
 * @throws CronError on a bad expression or timezone.
 */
export function nextOccurrence(expression: string, timezone: string, afterMs: number): number | null {
  const { c, zone } = compileFor(expression, timezone);
  return occurrenceAfter(c, zone, afterMs);
}

/**
 * The last occurrence at or before `atOrBeforeMs` (UTC ms), or null when there is none
 * within OCCURRENCE_HORIZON_MS before it. Found with the same occurrence function as
 * nextOccurrence: a window doubling back from the bound, then bisection (≈ 2·log2 of
 * the distance calls, whatever the expression's density).
 * @throws CronError on a bad expression or timezone.
 */
export function previousOccurrence(expression: string, timezone: string, atOrBeforeMs: number): number | null {
  const { c, zone } = compileFor(expression, timezone);
  const hits = (from: number) => {
    const t = occurrenceAfter(c, zone, from);
    return t != null && t <= atOrBeforeMs;
  };
  let empty = atOrBeforeMs; // (empty, atOrBeforeMs] has no occurrence
  for (let k = 1000; k <= 2 * OCCURRENCE_HORIZON_MS; k *= 2) {
    const from = atOrBeforeMs - k;
    if (!hits(from)) {
      empty = from;
      continue;
    }
    // The last occurrence is in (from, empty]: bisect the largest `lo` that still hits.
    let lo = from;
    let hi = empty;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (hits(mid)) lo = mid;
      else hi = mid;
    }
    return occurrenceAfter(c, zone, lo);
  }
  return null;
}

/**
 * Up to `limit` occurrences in the half-open range (fromExclusive, toInclusive] (UTC
 * ms), ascending: the occurrence function stepped from `fromExclusive`. Stops at
 * `limit`, so a caller can bound the work of a long range.
 * @throws CronError on a bad expression or timezone.
 */
export function occurrencesBetween(
  expression: string,
  timezone: string,
  fromExclusive: number,
  toInclusive: number,
  limit: number,
): number[] {
  const { c, zone } = compileFor(expression, timezone);
  const out: number[] = [];
  let cursor = fromExclusive;
  while (out.length < limit) {
    const t = occurrenceAfter(c, zone, cursor);
    if (t == null || t > toInclusive) break;
    out.push(t);
    cursor = t;
  }
  return out;
}

/** The next `count` occurrences strictly after `afterMs` (preview, detail pages). */
export function nextOccurrences(expression: string, timezone: string, afterMs: number, count: number): number[] {
  return occurrencesBetween(expression, timezone, afterMs, Number.MAX_SAFE_INTEGER, count);
}

/** describeCron results by expression; cleared when it reaches DESCRIPTION_CACHE_MAX entries. */
const descriptions = new Map<string, string>();
const DESCRIPTION_CACHE_MAX = 10_000;

/**
 * A person's description of the expression ("At 09:00 AM, Monday through Friday"); a
 * step that doesn't divide its field is described by its real times (cron-steps.ts).
 * Memoized by expression: cronstrue costs ~80 µs a call, and GET /api/schedules describes
 * every schedule (1,000 schedules: 80 ms a request, issue 15).
 */
export function describeCron(expression: string): string {
  let text = descriptions.get(expression);
  if (text !== undefined) return text;
  try {
    // A step that doesn't divide its field is not "every N": describe its real times (cron-steps.ts).
    const uneven = unevenSteps(expression);
    text = cronstrue.toString(uneven?.expression ?? expression, { verbose: false, use24HourTimeFormat: true });
    if (uneven) text = `${text} (${uneven.notes.join("; ")})`;
  } catch {
    text = expression;
  }
  if (descriptions.size >= DESCRIPTION_CACHE_MAX) descriptions.clear();
  descriptions.set(expression, text);
  return text;
}
