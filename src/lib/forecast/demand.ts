import "server-only";
/**
 * Expected running tasks per minute from cron fields, without iterating occurrences one
 * by one (issue #12 item 8). The model of src/lib/schedules/collisions.ts: a schedule's
 * day fields pick the local dates of the window, its hour × minute fields the firing
 * minutes of a date, and its second field is only a COUNT per firing minute — a
 * per-second schedule is 60 firings in each of its minutes, never 60 loop turns.
 *
 * Each firing minute then adds the same per-minute shape (the "kernel"): a firing at
 * second s lasting d ms covers part of its own minute, whole minutes after it, and part
 * of the last one. The kernel sums that over the second field once per schedule; it is
 * a run of equal values (whole minutes) plus a few edge values, so adding it at a firing
 * minute is two writes into a difference array plus the edges — O(firing minutes +
 * window minutes) per schedule whatever d is.
 *
 * Units: instants UTC ms; minute indexes count minutes from the window start (negative
 * = before it, for runs still going at the start).
 */
import type { CronFieldCollection } from "cron-parser";
import type { OverlapPolicy } from "../db/constants";
import { parseCronFields } from "../schedules/cron";
import { decideOccurrence } from "../schedules/calendar";
import type { ActiveWindow } from "../db/constants";
import { matchesCalendarDay } from "../schedules/collisions";
import { zoneOffsets } from "../schedules/zone-offsets";

export const MINUTE_MS = 60_000;
/** At most this many points sample a jitter's uniform delay in a kernel. */
const JITTER_SAMPLES = 16;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** What the forecast needs of one active schedule. */
export interface ForecastScheduleInput {
  id: string;
  name: string;
  cronExpression: string;
  timezone: string;
  overlapPolicy: OverlapPolicy;
  /** Expected run time of one firing, ms (> 0). */
  expectedDurationMs: number;
  /** Firings before this instant (UTC ms) did not happen (the schedule was created later). */
  createdAt?: number | null;
  /** The schedule's next planned occurrence: firings from the window start up to it are not expected (skip-next, pause-until). */
  nextFireAt?: number | null;
  /** No firing at or after this instant (UTC ms). */
  expiresAt?: number | null;
  /** Firings left before maxFirings completes the schedule; null = unbounded. */
  remainingFirings?: number | null;
  /** Calendar controls (ADR 0015), applied by decideOccurrence per firing minute: excluded dates and window `skip` drop it, window `defer` moves it to the window's start. */
  activeWindow?: ActiveWindow | null;
  excludeDates?: string[] | null;
  /** No firing before this instant (UTC ms): a schedule paused until then resumes by itself (its firings after it count). */
  pausedUntil?: number | null;
  /** Jitter bound, seconds: each start is delayed uniformly within [0, jitterSec] (the kernel is spread over it). */
  jitterSec?: number;
}

/** A schedule's load: where it fires, and the shape one firing minute adds. */
export interface ScheduleLoad {
  /** Firing minutes (minute indexes from the window start), ascending. */
  firingMinutes: Int32Array;
  /** Firings per firing minute: the second field's size (1 for 5-field crons). */
  perMinute: number;
  kernel: Kernel;
  /**
   * The most of its own tasks the schedule runs at once: 1 unless its overlap policy is
   * `allow_all` (skip / buffer / cancel_other never run two of a schedule together).
   */
  selfCap: number;
}

/** Expected running tasks added to minute t + j by the firings of minute t: `run` over [runFrom, runTo], `edges` elsewhere. */
export interface Kernel {
  /** Number of minutes with a non-zero value (j = 0 … length − 1). */
  length: number;
  runFrom: number;
  runTo: number;
  runValue: number;
  edges: [j: number, value: number][];
}

/**
 * The per-minute shape of one firing minute: firings at `seconds` of minute 0, each
 * running `durationMs`; value j = the expected tasks running during minute j (time
 * average). A firing of 30 s at second 0 adds 0.5 to minute 0; one of 90 s adds 1, 0.5.
 */
export function buildKernel(seconds: readonly number[], durationMs: number, jitterMs = 0): Kernel {
  const d = Math.max(1, durationMs);
  const length = Math.floor((59_000 + jitterMs + d - 1) / MINUTE_MS) + 1;
  const k = new Float64Array(length + 1);
  const full = new Float64Array(length + 1);
  // Jitter: the start is uniform in [0, jitterMs]; sampled at one point per started minute (≤ JITTER_SAMPLES), each weighing 1/samples.
  const samples = jitterMs > 0 ? Math.min(JITTER_SAMPLES, Math.floor(jitterMs / MINUTE_MS) + 2) : 1;
  const w = 1 / samples;
  for (let i = 0; i < samples; i++) {
    const offset = samples === 1 ? 0 : (jitterMs * i) / (samples - 1);
    for (const s of seconds) {
      const start = s * 1000 + offset;
      const end = start + d;
      const firstM = Math.floor(start / MINUTE_MS);
      const last = Math.floor((end - 1) / MINUTE_MS);
      if (last === firstM) {
        k[firstM] += (w * d) / MINUTE_MS;
        continue;
      }
      k[firstM] += (w * ((firstM + 1) * MINUTE_MS - start)) / MINUTE_MS;
      k[last] += (w * (end - last * MINUTE_MS)) / MINUTE_MS;
      if (last >= firstM + 2) {
        full[firstM + 1] += w;
        full[last] -= w;
      }
    }
  }
  let acc = 0;
  for (let j = 0; j <= length; j++) {
    acc += full[j];
    k[j] += acc;
  }
  // The longest run of equal values becomes the difference-array part.
  let best: [number, number] = [0, 0];
  for (let j = 0; j < length; ) {
    let e = j;
    while (e + 1 < length && Math.abs(k[e + 1] - k[j]) < 1e-12) e++;
    if (e - j > best[1] - best[0]) best = [j, e];
    j = e + 1;
  }
  const edges: [number, number][] = [];
  for (let j = 0; j < length; j++) if ((j < best[0] || j > best[1]) && k[j] !== 0) edges.push([j, k[j]]);
  return { length, runFrom: best[0], runTo: best[1], runValue: k[best[0]], edges };
}

const fieldsCache = new Map<string, CronFieldCollection | null>();
/** The parsed fields of an expression, cached (cron-parser's parse costs ~0.3 ms); null when it doesn't parse. */
export function fieldsOf(expression: string): CronFieldCollection | null {
  if (fieldsCache.has(expression)) return fieldsCache.get(expression)!;
  let f: CronFieldCollection | null = null;
  try {
    f = parseCronFields(expression);
  } catch {
    f = null;
  }
  if (fieldsCache.size >= 5000) fieldsCache.clear();
  fieldsCache.set(expression, f);
  return f;
}

/**
 * The firing minutes of an expression in `timeZone` over [fromMs, toMs), as minute
 * indexes from `windowStart`, ascending, plus the firings per minute. Work: the local
 * dates in the range × the hour × minute values — never per second. A wall time in a
 * DST gap maps one hour off and a repeated hour fires once (a forecast, not the
 * scheduler: cron.ts's occurrence function is the authority).
 */
export function expandFiringMinutes(
  expression: string,
  timeZone: string,
  windowStart: number,
  fromMs: number,
  toMs: number,
): { firingMinutes: Int32Array; perMinute: number; seconds: number[] } | null {
  const fields = fieldsOf(expression);
  if (!fields) return null;
  const zone = zoneOffsets(timeZone);
  const hours = fields.hour.values.map(Number);
  const minuteValues = fields.minute.values.map(Number);
  const seconds = fields.second.values.map(Number);
  const out: number[] = [];
  const firstDay = Math.floor((fromMs + zone.offsetAt(fromMs)) / DAY_MS);
  const lastDay = Math.floor((toMs + zone.offsetAt(toMs)) / DAY_MS);
  for (let day = firstDay; day <= lastDay; day++) {
    const date = new Date(day * DAY_MS);
    if (!matchesCalendarDay(fields, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())) continue;
    for (const h of hours) {
      const wall = day * DAY_MS + h * HOUR_MS;
      const hourStart = wall - zone.offsetAt(wall - zone.offsetAt(wall));
      if (hourStart + HOUR_MS <= fromMs || hourStart >= toMs) continue;
      for (const m of minuteValues) {
        const at = hourStart + m * MINUTE_MS;
        if (at < fromMs || at >= toMs) continue;
        out.push(Math.floor((at - windowStart) / MINUTE_MS));
      }
    }
  }
  const firingMinutes = Int32Array.from(out);
  firingMinutes.sort();
  return { firingMinutes, perMinute: seconds.length, seconds };
}

/**
 * A schedule's load over a window: its firing minutes (from `lookbackMs` before the
 * window start, so runs still going at the start count) filtered by createdAt, nextFireAt,
 * expiresAt and remainingFirings, and its kernel. `expansions` shares the expansion of
 * schedules with the same expression and timezone. Null for an expression that doesn't parse.
 */
export function scheduleLoad(
  s: ForecastScheduleInput,
  windowStart: number,
  windowMinutes: number,
  lookbackMs: number,
  expansions: Map<string, ReturnType<typeof expandFiringMinutes>>,
): ScheduleLoad | null {
  const key = `${s.timezone}|${s.cronExpression}`;
  if (!expansions.has(key)) {
    let e: ReturnType<typeof expandFiringMinutes> = null;
    try {
      e = expandFiringMinutes(s.cronExpression, s.timezone, windowStart, windowStart - lookbackMs, windowStart + windowMinutes * MINUTE_MS);
    } catch {
      e = null; // unknown timezone: nothing to forecast
    }
    expansions.set(key, e);
  }
  const e = expansions.get(key);
  if (!e) return null;
  let minutes = e.firingMinutes;
  const idx = (ms: number) => Math.floor((ms - windowStart) / MINUTE_MS);
  const earliest = Math.max(
    idx(windowStart - lookbackMs),
    s.createdAt != null ? Math.ceil((s.createdAt - windowStart) / MINUTE_MS) : -Infinity,
    s.pausedUntil != null ? Math.ceil((s.pausedUntil - windowStart) / MINUTE_MS) : -Infinity,
  );
  // Firings in [window start, nextFireAt) won't happen (skip-next, pause-until move nextFireAt).
  const skipTo = s.nextFireAt != null && s.nextFireAt > windowStart ? Math.ceil((s.nextFireAt - windowStart) / MINUTE_MS) : 0;
  const end = s.expiresAt != null ? Math.ceil((s.expiresAt - windowStart) / MINUTE_MS) : Infinity;
  const lookbackMinutes = Math.ceil((s.expectedDurationMs + MINUTE_MS) / MINUTE_MS);
  if (earliest > -Infinity || skipTo > 0 || end < Infinity || s.remainingFirings != null || lookbackMinutes * MINUTE_MS < lookbackMs) {
    const kept: number[] = [];
    let left = s.remainingFirings ?? Infinity;
    for (const t of minutes) {
      if (t < earliest || t < -lookbackMinutes || (t >= 0 && t < skipTo) || t >= end) continue;
      if (t >= 0) {
        if (left <= 0) break;
        left -= e.perMinute;
      }
      kept.push(t);
    }
    minutes = Int32Array.from(kept);
  }
  if (s.activeWindow || s.excludeDates?.length) minutes = applyCalendar(s, minutes, windowStart);
  return {
    firingMinutes: minutes,
    perMinute: e.perMinute,
    kernel: buildKernel(e.seconds, s.expectedDurationMs, Math.max(0, s.jitterSec ?? 0) * 1000),
    selfCap: s.overlapPolicy === "allow_all" ? Infinity : 1,
  };
}

/**
 * Calendar controls on firing minutes, by THE calendar rule (decideOccurrence, ADR 0015),
 * once per firing minute (not per second: window bounds and dates are minute-grained):
 * an excluded date or a window `skip` drops the minute, a window `defer` moves it to the
 * window's next start. Jitter is left to the kernel. Returns minutes ascending.
 */
function applyCalendar(s: ForecastScheduleInput, minutes: Int32Array, windowStart: number): Int32Array {
  const cal = { id: s.id, cronExpression: s.cronExpression, timezone: s.timezone, jitterSec: 0, activeWindow: s.activeWindow ?? null, excludeDates: s.excludeDates ?? null };
  const out: number[] = [];
  for (const t of minutes) {
    const at = windowStart + t * MINUTE_MS;
    const v = decideOccurrence(cal, at);
    if (v.kind === "skip") continue;
    out.push(v.notBefore != null ? Math.floor((v.notBefore - windowStart) / MINUTE_MS) : t);
  }
  const arr = Int32Array.from(out);
  arr.sort();
  return arr;
}

/**
 * The schedule's expected running tasks per minute of the window (length `n`): the
 * kernel added at every firing minute, then capped at `selfCap` (its overlap policy).
 * `out` (length n, zeroed here) and `diff` (length n + 1) are scratch buffers.
 */
export function loadVector(load: ScheduleLoad, n: number, out: Float64Array = new Float64Array(n), diff: Float64Array = new Float64Array(n + 1)): Float64Array {
  out.fill(0);
  diff.fill(0);
  const { runFrom, runTo, runValue, edges } = load.kernel;
  for (const t of load.firingMinutes) {
    const a = Math.max(0, t + runFrom);
    const b = Math.min(n - 1, t + runTo);
    if (a <= b && runValue !== 0) {
      diff[a] += runValue;
      diff[b + 1] -= runValue;
    }
    for (const [j, v] of edges) {
      const i = t + j;
      if (i >= 0 && i < n) out[i] += v;
    }
  }
  let acc = 0;
  const cap = load.selfCap;
  for (let i = 0; i < n; i++) {
    acc += diff[i];
    const v = out[i] + acc;
    out[i] = v > cap ? cap : v < 1e-12 ? 0 : v;
  }
  return out;
}

/** True when the load adds anything to minutes [a, b]: a firing minute in [a − kernel length + 1, b]. */
export function touches(load: ScheduleLoad, a: number, b: number): boolean {
  const lo = a - load.kernel.length + 1;
  const m = load.firingMinutes;
  let l = 0;
  let h = m.length;
  while (l < h) {
    const mid = (l + h) >> 1;
    if (m[mid] < lo) l = mid + 1;
    else h = mid;
  }
  return l < m.length && m[l] <= b;
}
