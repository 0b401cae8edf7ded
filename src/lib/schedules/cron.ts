/**
 * Cron evaluation, always in a named IANA timezone (cron-parser), and human
 * descriptions (cronstrue). Expressions have 5 fields (minute precision) or 6 (a
 * leading seconds field). All instants are integer UTC milliseconds.
 */
import { CronExpressionParser, type CronExpression, type CronFieldCollection } from "cron-parser";
import cronstrue from "cronstrue";

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
    throw new CronError("cronExpression", `invalid cron expression: ${(err as Error).message}`);
  }
}

/**
 * Checks an expression and timezone; returns the normalized expression (single spaces).
 * @throws CronError naming `cronExpression` or `timezone`.
 */
export function validateCron(expression: string, timezone: string): string {
  const normalized = expression.trim().replace(/\s+/g, " ");
  const it = parse(normalized, timezone, Date.UTC(2030, 0, 1));
  // An expression that parses but never fires (e.g. "0 0 30 2 *") would leave the
  // schedule with no next fire; reject it at save time instead (invariant 6).
  try {
    it.next();
  } catch {
    throw new CronError("cronExpression", "never fires (no matching date)");
  }
  return normalized;
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
 * The first occurrence strictly after `afterMs`, or null when there is none.
 * @throws CronError on a bad expression or timezone.
 */
export function nextOccurrence(expression: string, timezone: string, afterMs: number): number | null {
  const it = parse(expression, timezone, afterMs);
  try {
    const t = it.next().getTime();
    return t > afterMs ? t : nextOccurrence(expression, timezone, t);
  } catch {
    return null;
  }
}

/**
 * The last occurrence at or before `atOrBeforeMs`, or null.
 * @throws CronError on a bad expression or timezone.
 */
export function previousOccurrence(expression: string, timezone: string, atOrBeforeMs: number): number | null {
  // cron-parser's prev() is strictly before currentDate; shift by 1 ms to include the bound.
  const it = parse(expression, timezone, atOrBeforeMs + 1);
  try {
    return it.prev().getTime();
  } catch {
    return null;
  }
}

/**
 * Up to `limit` occurrences in the half-open range (fromExclusive, toInclusive], ascending.
 * Stops at `limit`, so a caller can bound the work of a long range.
 */
export function occurrencesBetween(
  expression: string,
  timezone: string,
  fromExclusive: number,
  toInclusive: number,
  limit: number,
): number[] {
  const out: number[] = [];
  let cursor = fromExclusive;
  const it = parse(expression, timezone, fromExclusive);
  while (out.length < limit) {
    let t: number;
    try {
      t = it.next().getTime();
    } catch {
      break;
    }
    if (t <= cursor) continue;
    if (t > toInclusive) break;
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
 * A person's description of the expression ("At 09:00 AM, Monday through Friday").
 * Memoized by expression: cronstrue costs ~80 µs a call, and GET /api/schedules describes
 * every schedule (1,000 schedules: 80 ms a request, issue 15).
 */
export function describeCron(expression: string): string {
  let text = descriptions.get(expression);
  if (text !== undefined) return text;
  try {
    text = cronstrue.toString(expression, { verbose: false, use24HourTimeFormat: true });
  } catch {
    text = expression;
  }
  if (descriptions.size >= DESCRIPTION_CACHE_MAX) descriptions.clear();
  descriptions.set(expression, text);
  return text;
}
