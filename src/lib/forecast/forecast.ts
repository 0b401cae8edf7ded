import "server-only";
/**
 * The forecast (issue #12 item 8): expected running tasks per minute over a horizon
 * against the cap, the overloaded ranges, their expected queueing delay, and a stagger
 * that removes each. Pure: the service (service.ts) reads the schedules, their expected
 * durations and the cap; this computes. docs/adr/0017-forecast-model.md has the model.
 *
 * Capacity pools: the demand of a pool's member schedules is compared with the pool's
 * cap: "global" (maxConcurrent, every schedule), and each concurrency group with a cap of
 * its own (issue #12 item 4; forecast/service.ts builds them) — its members and its cap; its
 * overloads come out of the same findOverloads with `pool` set to the group's name.
 */
import type { ForecastDto, ForecastOverload, StaggerMove } from "./types";
import { hasSecondsField } from "../schedules/cron";
import { fieldsOf, loadVector, MINUTE_MS, scheduleLoad, touches, type ForecastScheduleInput, type ScheduleLoad } from "./demand";

/** Bounds of `hours` (GET /api/forecast?hours=). */
export const FORECAST_HOURS_MIN = 1;
export const FORECAST_HOURS_MAX = 168;
/** Overloads that get a stagger search (the rest say so); bounds the work of a crowded week. */
export const MAX_ANALYSED_OVERLOADS = 100;
/** A stagger moves at most this many schedules, each by at most MAX_SHIFT_MINUTES. */
export const MAX_STAGGER_MOVES = 3;
export const MAX_SHIFT_MINUTES = 30;
/** Schedules tried per overload (the biggest shares first). */
const MAX_CANDIDATES = 8;
const EPS = 1e-9;

/** A cap over a set of schedules (indexes into the forecast's schedule list). */
export interface CapacityPool {
  key: string;
  cap: number;
  /** Member schedule indexes; undefined = every schedule. */
  members?: number[];
}

export interface ForecastInput {
  /** UTC ms; the forecast starts at the start of its minute. */
  now: number;
  hours: number;
  /** Global cap (maxConcurrent). */
  cap: number;
  schedules: ForecastScheduleInput[];
  /** Extra pools (concurrency groups); the global pool is always there. */
  pools?: CapacityPool[];
}

export interface ForecastResult extends Omit<ForecastDto, "schedules"> {
  /** Firings expected in the horizon, by schedule index. */
  firings: number[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Computes the forecast. Work: per schedule O(firing minutes + horizon minutes) for the
 * demand; per overload a bounded stagger search (MAX_CANDIDATES × 2·MAX_SHIFT_MINUTES
 * shifts × the overload's length). Schedules whose expression or timezone doesn't parse
 * contribute nothing.
 */
export function computeForecast(input: ForecastInput): ForecastResult {
  const windowStart = Math.floor(input.now / MINUTE_MS) * MINUTE_MS;
  const n = Math.round(input.hours * 60);
  const lookbackMs = Math.max(0, ...input.schedules.map((s) => s.expectedDurationMs)) + MINUTE_MS;
  const expansions = new Map();
  const loads: (ScheduleLoad | null)[] = input.schedules.map((s) => scheduleLoad(s, windowStart, n, lookbackMs, expansions));

  const total = new Float64Array(n);
  const scratch = new Float64Array(n);
  const diff = new Float64Array(n + 1);
  const firings = loads.map((load) => {
    if (!load) return 0;
    const v = loadVector(load, n, scratch, diff);
    for (let i = 0; i < n; i++) total[i] += v[i];
    let count = 0;
    for (const t of load.firingMinutes) if (t >= 0 && t < n) count += load.perMinute;
    return count;
  });

  const vectors = new VectorCache(loads, n);
  const overloads: ForecastOverload[] = findOverloads({ key: "global", cap: input.cap }, total, input, loads, vectors, windowStart);
  for (const pool of input.pools ?? []) {
    const demand = new Float64Array(n);
    for (const i of pool.members ?? []) {
      const vec = vectors.get(i);
      if (vec) for (let t = vec.lo; t <= vec.hi; t++) demand[t] += vec.v[t];
    }
    overloads.push(...findOverloads(pool, demand, input, loads, vectors, windowStart));
  }

  const minutes = new Array<{ at: string; expectedRunning: number }>(n);
  for (let i = 0; i < n; i++) minutes[i] = { at: iso(windowStart + i * MINUTE_MS), expectedRunning: round2(total[i]) };
  return { cap: input.cap, from: iso(windowStart), hours: input.hours, minutes, overloads, firings };
}

/** A schedule's vector with the bounds of its non-zero minutes (`lo > hi` when empty). */
interface Vector {
  v: Float64Array;
  lo: number;
  hi: number;
}

/** Schedule vectors materialized on demand (overload attribution, stagger search), up to ~32 MB kept. */
class VectorCache {
  private readonly cache = new Map<number, Vector>();
  private readonly limit: number;
  constructor(
    private readonly loads: (ScheduleLoad | null)[],
    private readonly n: number,
  ) {
    this.limit = Math.max(64, Math.floor(4_000_000 / Math.max(1, n)));
  }
  get(i: number): Vector | null {
    const load = this.loads[i];
    if (!load) return null;
    let vec = this.cache.get(i);
    if (!vec) {
      const v = loadVector(load, this.n);
      let lo = 0;
      while (lo < this.n && v[lo] === 0) lo++;
      let hi = this.n - 1;
      while (hi >= lo && v[hi] === 0) hi--;
      vec = { v, lo, hi };
      if (this.cache.size >= this.limit) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(i, vec);
    }
    return vec;
  }
}

/**
 * The overloads of one pool: maximal runs of minutes whose demand exceeds `pool.cap`.
 * The queueing delay comes from a fluid queue over the whole horizon: the backlog (slot-
 * minutes) grows by demand − cap each minute and never drops below 0; a task arriving at
 * minute t waits backlog / cap minutes.
 */
function findOverloads(
  pool: CapacityPool,
  demand: Float64Array,
  input: ForecastInput,
  loads: (ScheduleLoad | null)[],
  vectors: VectorCache,
  windowStart: number,
): ForecastOverload[] {
  const n = demand.length;
  const cap = pool.cap;
  const backlog = new Float64Array(n);
  let b = 0;
  for (let t = 0; t < n; t++) {
    b = Math.max(0, b + demand[t] - cap);
    backlog[t] = b;
  }
  const memberSet = pool.members ? new Set(pool.members) : null;
  const members = loads.map((_, i) => i).filter((i) => loads[i] && (!memberSet || memberSet.has(i)));
  const out: ForecastOverload[] = [];
  for (let t = 0; t < n; t++) {
    if (demand[t] <= cap + EPS) continue;
    const a = t;
    let peak = 0;
    while (t < n && demand[t] > cap + EPS) peak = Math.max(peak, demand[t++]);
    const z = t - 1;
    let drained = z + 1;
    while (drained < n && backlog[drained] > EPS) drained++;

    // Attribution: every member running in [a, z], biggest share first.
    const shares: { i: number; share: number }[] = [];
    for (const i of members) {
      if (!touches(loads[i]!, a, z)) continue;
      const { v, lo, hi } = vectors.get(i)!;
      let share = 0;
      for (let u = Math.max(a, lo); u <= Math.min(z, hi); u++) share += v[u];
      if (share > EPS) shares.push({ i, share });
    }
    shares.sort((x, y) => y.share - x.share || input.schedules[x.i].name.localeCompare(input.schedules[y.i].name));

    const overload: ForecastOverload = {
      from: iso(windowStart + a * MINUTE_MS),
      to: iso(windowStart + (z + 1) * MINUTE_MS),
      expectedRunning: round2(peak),
      scheduleIds: shares.map((s) => input.schedules[s.i].id),
      suggestion: "",
      stagger: [],
      expectedDelaySec: Math.round((backlog[z] / cap) * 60),
      drainedAt: drained < n ? iso(windowStart + drained * MINUTE_MS) : null,
      pool: pool.key,
    };
    if (out.length >= MAX_ANALYSED_OVERLOADS) {
      overload.suggestion = `Not analysed: only the first ${MAX_ANALYSED_OVERLOADS} overloads of the horizon get a stagger search.`;
    } else {
      const moves = searchStagger(demand, cap, a, z, shares.map((s) => s.i), input, vectors);
      overload.stagger = moves ?? [];
      overload.suggestion = moves ? staggerSentence(moves) : noStaggerSentence(peak, cap, pool.key);
    }
    out.push(overload);
  }
  return out;
}

/** "Stagger “B” by +5 min (cron “5 2 * * *”) and “C” by +10 min (…) to remove this overload." */
function staggerSentence(moves: StaggerMove[]): string {
  const parts = moves.map((m) => `“${m.scheduleName}” by ${m.shiftMinutes > 0 ? "+" : "−"}${Math.abs(m.shiftMinutes)} min (cron “${m.cronExpression}”)`);
  return `Stagger ${parts.join(" and ")} to remove this overload.`;
}

function noStaggerSentence(peak: number, cap: number, pool: string): string {
  const what = pool === "global" ? "the cap (Settings → max concurrent)" : `the “${pool}” cap`;
  return `No stagger of up to ${MAX_STAGGER_MOVES} schedules by up to ${MAX_SHIFT_MINUTES} min removes this: ${round2(peak)} expected against a cap of ${cap}. Raise ${what} to ${Math.ceil(peak - EPS)}, or shorten the runs.`;
}

/**
 * Minute shifts of a cron that are exact time shifts, nearest first (later before
 * earlier): the minute field shifted whole; without wrapping past the hour unless the
 * hour field is every hour; within MAX_SHIFT_MINUTES and below the gap to the next
 * minute value (a larger shift only re-orders the same times). None for a minute field
 * of every minute.
 */
export function candidateShifts(expression: string): number[] {
  let minutes: number[] = [];
  let everyHour = false;
  const f = fieldsOf(expression);
  if (!f) return [];
  minutes = [...new Set(f.minute.values.map(Number))].sort((x, y) => x - y);
  everyHour = new Set(f.hour.values).size === 24;
  if (minutes.length >= 60) return [];
  let minGap = 60;
  for (let i = 0; i < minutes.length; i++) {
    const next = i + 1 < minutes.length ? minutes[i + 1] : minutes[0] + 60;
    if (minutes.length > 1) minGap = Math.min(minGap, next - minutes[i]);
  }
  const limit = Math.min(MAX_SHIFT_MINUTES, minGap - 1);
  const out: number[] = [];
  for (let k = 1; k <= limit; k++) {
    for (const s of [k, -k]) {
      if (everyHour || (minutes[0] + s >= 0 && minutes[minutes.length - 1] + s <= 59)) out.push(s);
    }
  }
  return out;
}

/** The expression with its minute field shifted by `k` minutes (mod 60 when every hour). */
export function shiftCron(expression: string, k: number): string {
  const fields = expression.trim().split(/\s+/);
  const i = hasSecondsField(expression) ? 1 : 0;
  const minutes = (fieldsOf(expression)?.minute.values ?? []).map((m) => (((Number(m) + k) % 60) + 60) % 60);
  fields[i] = [...new Set(minutes)].sort((x, y) => x - y).join(",");
  return fields.join(" ");
}

/**
 * Greedy stagger search for the overload [a, z]: each round tries every candidate
 * schedule × shift, keeps the one that lowers the excess over [a, z] most without
 * making any other minute of the horizon exceed the cap where it didn't (or exceed it
 * more), and applies it to a working copy of the demand; up to MAX_STAGGER_MOVES rounds.
 * Returns the moves once the range is within the cap, null when it can't be.
 */
function searchStagger(
  demand: Float64Array,
  cap: number,
  a: number,
  z: number,
  contributors: number[],
  input: ForecastInput,
  vectors: VectorCache,
): StaggerMove[] | null {
  const n = demand.length;
  const work = Float64Array.from(demand);
  const excessOf = (vec: Vector | null, k: number) => {
    let e = 0;
    for (let t = a; t <= z; t++) {
      let after = work[t];
      if (vec) {
        after -= vec.v[t];
        if (t - k >= vec.lo && t - k <= vec.hi) after += vec.v[t - k];
      }
      if (after > cap + EPS) e += after - cap;
    }
    return e;
  };
  // Only minutes where the vector or its shifted copy is non-zero can change.
  const harmless = ({ v, lo, hi }: Vector, k: number) => {
    for (let t = Math.max(0, lo + Math.min(0, k)); t <= Math.min(n - 1, hi + Math.max(0, k)); t++) {
      const after = work[t] - v[t] + (t - k >= lo && t - k <= hi ? v[t - k] : 0);
      if (after > cap + EPS && after > work[t] + EPS) return false;
    }
    return true;
  };
  const candidates = contributors
    .map((i) => ({ i, shifts: candidateShifts(input.schedules[i].cronExpression) }))
    .filter((c) => c.shifts.length)
    .slice(0, MAX_CANDIDATES);
  // Hopeless when even taking the MAX_STAGGER_MOVES biggest movable shares out of a minute leaves it over the cap.
  for (let t = a; t <= z; t++) {
    const top = candidates.map((c) => vectors.get(c.i)!.v[t]).sort((x, y) => y - x);
    let removable = 0;
    for (let j = 0; j < Math.min(MAX_STAGGER_MOVES, top.length); j++) removable += top[j];
    if (demand[t] - removable > cap + EPS) return null;
  }
  const moves: StaggerMove[] = [];
  const moved = new Set<number>();
  let excess = excessOf(null, 0);
  for (let round = 0; round < MAX_STAGGER_MOVES && excess > EPS; round++) {
    const tries: { i: number; k: number; e: number; order: number }[] = [];
    let order = 0;
    for (const c of candidates) {
      if (moved.has(c.i)) continue;
      const v = vectors.get(c.i)!;
      for (const k of c.shifts) {
        const e = excessOf(v, k);
        if (e < excess - EPS) tries.push({ i: c.i, k, e, order: order++ });
      }
    }
    tries.sort((x, y) => x.e - y.e || Math.abs(x.k) - Math.abs(y.k) || x.order - y.order);
    const pick = tries.find((t) => harmless(vectors.get(t.i)!, t.k));
    if (!pick) break;
    const { v, lo, hi } = vectors.get(pick.i)!;
    const shifted = new Float64Array(n);
    for (let t = Math.max(0, lo + pick.k); t <= Math.min(n - 1, hi + pick.k); t++) shifted[t] = v[t - pick.k];
    for (let t = 0; t < n; t++) work[t] += shifted[t] - v[t];
    moved.add(pick.i);
    const s = input.schedules[pick.i];
    moves.push({ scheduleId: s.id, scheduleName: s.name, shiftMinutes: pick.k, cronExpression: shiftCron(s.cronExpression, pick.k) });
    excess = pick.e;
  }
  return excess <= EPS && moves.length ? moves : null;
}
