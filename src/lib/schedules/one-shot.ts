/**
 * One-shot schedules (issue 12 item 2): "tomorrow at 9:00", "in 2 hours", "next Monday
 * 8am" or an ISO time, read in the schedule's zone, become a schedule that fires once and
 * completes (maxFirings 1, like any schedule reaching its max firings; expiresAt = the
 * instant, so a one-shot missed beyond its catch-up window expires instead of waiting a
 * year for its date to come round).
 *
 * Plain words are parsed by chrono-node (npm, MIT, maintained since 2014, no
 * dependencies) instead of a hand-rolled grammar: dates in words ("March 8", "next
 * Friday", "in 3 days", "noon") are an open-ended language and chrono already covers it
 * with tests; we only map its result to an instant. chrono's reference zone is a fixed
 * offset, so it is given none for wall times: when the text names no offset ("tomorrow at
 * 9:00") we take chrono's wall-clock fields and find their instant in the schedule's IANA
 * zone with THE occurrence function (ADR 0007 DST rule: a time in a spring-forward gap is
 * the first instant after it, a repeated one its first occurrence). Relative times ("in 2
 * hours") and ISO times with an offset are exact instants already.
 */
import * as chrono from "chrono-node";
import { nextOccurrence } from "./cron";
import { wallClock } from "./calendar";
import { zoneOffsets } from "./zone-offsets";

export class OneShotError extends Error {}

/** A one-shot's instant (UTC ms, whole seconds) and the cron expression that fires it in `timezone`. */
export interface OneShot {
  at: number;
  cronExpression: string;
}

/**
 * Reads `text` as one future instant in `timezone`, relative to `now` (UTC ms).
 * @throws OneShotError (a message for the `runOnceAt` field) when it is not understood,
 *   is not in the future, or can't be fired exactly (a wall time that falls back onto an
 *   earlier instant of the same day, e.g. the second 01:30 of a fall-back night).
 */
export function resolveOneShot(text: string, timezone: string, now: number): OneShot {
  const offsetMin = zoneOffsets(timezone).offsetAt(now) / 60_000;
  const results = chrono.parse(text, { instant: new Date(now), timezone: offsetMin }, { forwardDate: true });
  const r = results[0];
  const rest = r ? (text.slice(0, r.index) + text.slice(r.index + r.text.length)).replace(/[\s,.;!]+/g, "") : text;
  if (!r || rest.length > 0) throw new OneShotError(`"${text}" is not understood as one date and time: try "tomorrow at 9:00", "in 2 hours", "Friday 17:30" or 2026-12-24T09:00`);
  const c = r.start;
  let at: number;
  if (c.isCertain("timezoneOffset")) {
    at = c.date().getTime();
  } else {
    const [y, mo, d, h, mi, s] = (["year", "month", "day", "hour", "minute", "second"] as const).map((k) => c.get(k) ?? 0);
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    // The instant of this wall time in the zone: the first occurrence of "s mi h d mo *"
    // after the day before it (a yearly cron; its first hit in year y is the one).
    const cron = `${s} ${mi} ${h} ${d} ${mo} *`;
    const found = nextOccurrence(cron, timezone, wall - 2 * 86_400_000);
    if (found == null || wallClock(found, timezone).date !== new Date(wall).toISOString().slice(0, 10)) {
      throw new OneShotError(`"${text}" names a date that doesn't exist in ${timezone}`);
    }
    at = found;
  }
  at = Math.floor(at / 1000) * 1000;
  if (at <= now) throw new OneShotError(`"${text}" is ${new Date(at).toISOString()}, not in the future`);
  // The schedule's cron: the wall fields of `at` in the zone, seconds only when not 0.
  const wall = new Date(at + zoneOffsets(timezone).offsetAt(at));
  const sec = wall.getUTCSeconds();
  const fields = `${wall.getUTCMinutes()} ${wall.getUTCHours()} ${wall.getUTCDate()} ${wall.getUTCMonth() + 1} *`;
  const cronExpression = sec ? `${sec} ${fields}` : fields;
  // A repeated wall time fires at its first occurrence (ADR 0007): the cron must fire at `at`.
  if (nextOccurrence(cronExpression, timezone, now) !== at) {
    throw new OneShotError(`"${text}" falls in the repeated hour of a clock change in ${timezone}; pick a time outside it`);
  }
  return { at, cronExpression };
}
