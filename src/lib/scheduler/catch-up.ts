import "server-only";
import type { CatchUpPolicy } from "../db/constants";
import { nextOccurrence, occurrencesBetween, previousOccurrence } from "../schedules/cron";
import { CATCH_UP_ALL_MAX_PER_PASS, MISSED_COUNT_ENUMERATION_CAP, ON_TIME_GRACE_MS } from "./tuning";

/** Occurrences counted as missed in one pass (one `missed_occurrences` event). */
export interface MissedOccurrences {
  count: number;
  /** True when the count was extrapolated past MISSED_COUNT_ENUMERATION_CAP. */
  approximate: boolean;
  /** The range they fell in, UTC ms: (fromExclusive, toInclusive]. */
  fromExclusive: number;
  toInclusive: number;
}

export interface CatchUpSelection {
  /** Occurrences to plan now, ascending (UTC ms). */
  fire: number[];
  missed: MissedOccurrences | null;
  /** The new planning watermark (`lastPlannedAt`): every occurrence ≤ it is decided. */
  watermark: number;
  /** The first occurrence after the watermark when already known (fast path), else undefined. */
  nextAfterWatermark?: number | null;
}

/**
 * Counts occurrences in (fromExclusive, toInclusive] without enumerating unbounded
 * ranges: up to MISSED_COUNT_ENUMERATION_CAP are enumerated, the rest extrapolated from
 * their mean interval (exact for fixed-interval expressions such as per-second ones).
 */
export function countOccurrences(expression: string, timezone: string, fromExclusive: number, toInclusive: number): { count: number; approximate: boolean } {
  if (toInclusive <= fromExclusive) return { count: 0, approximate: false };
  const cap = MISSED_COUNT_ENUMERATION_CAP;
  const seen = occurrencesBetween(expression, timezone, fromExclusive, toInclusive, cap + 1);
  if (seen.length <= cap) return { count: seen.length, approximate: false };
  const first = seen[0];
  const last = seen[cap - 1];
  const meanInterval = (last - first) / (cap - 1);
  const rest = meanInterval > 0 ? Math.floor((toInclusive - last) / meanInterval) : 0;
  return { count: cap + rest, approximate: true };
}

function missedIn(expression: string, timezone: string, fromExclusive: number, toInclusive: number): MissedOccurrences | null {
  const { count, approximate } = countOccurrences(expression, timezone, fromExclusive, toInclusive);
  return count > 0 ? { count, approximate, fromExclusive, toInclusive } : null;
}

/**
 * Applies a schedule's catchUpPolicy to the occurrences in (fromExclusive, toInclusive]
 * (DESIGN.md "Policies" → catchUpPolicy). `now` is the pass time (UTC ms); the window
 * is `catchUpWindowSec`.
 * - `latest`: the newest occurrence fires if it is within the window; the others are missed.
 * - `all`: every occurrence within the window fires, at most CATCH_UP_ALL_MAX_PER_PASS per
 *   pass (the watermark stops at the last one planned so the next pass continues);
 *   older ones are missed.
 * - `skip`: only an on-time newest occurrence (≤ ON_TIME_GRACE_MS late) fires; the
 *   others are missed.
 * Never enumerates more than a bounded number of occurrences.
 *
 * `firstDue` is the schedule's stored nextFireAt (the first occurrence after
 * fromExclusive). When it is the only occurrence due — the steady state of a loop that
 * wakes on time — one cron evaluation decides the pass instead of three.
 * @throws CronError for a bad expression or timezone.
 */
export function selectOccurrences(
  s: { cronExpression: string; timezone: string; catchUpPolicy: CatchUpPolicy; catchUpWindowSec: number },
  fromExclusive: number,
  toInclusive: number,
  now: number,
  firstDue?: number | null,
): CatchUpSelection {
  const { cronExpression: expr, timezone: tz } = s;
  const windowMs = s.catchUpWindowSec * 1000;
  if (firstDue != null && firstDue > fromExclusive && firstDue <= toInclusive) {
    const following = nextOccurrence(expr, tz, firstDue);
    if (following == null || following > toInclusive) {
      const limit = s.catchUpPolicy === "skip" ? ON_TIME_GRACE_MS : windowMs;
      const fires = now - firstDue <= limit;
      return {
        fire: fires ? [firstDue] : [],
        missed: fires ? null : { count: 1, approximate: false, fromExclusive, toInclusive: firstDue },
        watermark: toInclusive,
        nextAfterWatermark: following,
      };
    }
  }
  if (s.catchUpPolicy === "all") {
    const windowStart = Math.max(fromExclusive, now - windowMs - 1);
    const missed = windowStart > fromExclusive ? missedIn(expr, tz, fromExclusive, Math.min(windowStart, toInclusive)) : null;
    const fire = occurrencesBetween(expr, tz, windowStart, toInclusive, CATCH_UP_ALL_MAX_PER_PASS);
    const watermark = fire.length === CATCH_UP_ALL_MAX_PER_PASS ? fire[fire.length - 1] : toInclusive;
    return { fire, missed, watermark };
  }
  const newest = previousOccurrence(expr, tz, toInclusive);
  if (newest == null || newest <= fromExclusive) return { fire: [], missed: null, watermark: toInclusive };
  const limit = s.catchUpPolicy === "latest" ? windowMs : ON_TIME_GRACE_MS;
  const fires = now - newest <= limit;
  return {
    fire: fires ? [newest] : [],
    missed: missedIn(expr, tz, fromExclusive, fires ? newest - 1 : newest),
    watermark: toInclusive,
  };
}
