/**
 * The brute-force DST reference (docs/design.md "Time zones and DST"), shared by the
 * property test (src/lib/schedules/cron-dst.property.test.ts) and the candidate
 * benchmark (bench/cron-dst.ts). It reads offsets from Intl on its own (weekly samples
 * of formatToParts, bisected to the second) and applies the rule by walking real time
 * step by step and reading the wall clock — nothing shared with cron.ts.
 */
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

// ---- reference offsets: an independent read of Intl --------------------------------

export interface RefZone {
  initial: number;
  transitions: { at: number; before: number; after: number }[];
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
function refOffset(tz: string, t: number): number {
  let f = partsFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    partsFormatters.set(tz, f);
  }
  const v: Record<string, number> = {};
  for (const p of f.formatToParts(t)) v[p.type] = Number(p.value);
  const sec = Math.floor(t / 1000) * 1000;
  return Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second) - sec;
}

export function refZone(tz: string, from: number, to: number): RefZone {
  const initial = refOffset(tz, from);
  const transitions: RefZone["transitions"] = [];
  let prev = initial;
  let prevT = from;
  for (let t = Math.min(from + 7 * DAY, to); ; t = Math.min(t + 7 * DAY, to)) {
    const o = refOffset(tz, t);
    if (o !== prev) {
      let lo = prevT; // offset `prev` (whole seconds: Intl has no milliseconds)
      let hi = t;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (refOffset(tz, mid) === prev) lo = mid;
        else hi = mid;
      }
      transitions.push({ at: hi, before: prev, after: o });
      prev = o;
    }
    prevT = t;
    if (t === to) break;
  }
  return { initial, transitions };
}

// ---- reference rule: walk real time, read the wall clock ---------------------------

export interface RefCron {
  expr: string;
  /** Hour field is `*`: repeated wall times fire again, gap wall times don't exist. */
  interval: boolean;
}

/** The minute crons, matched by one hand-written function (`minuteMatches`) on the wall clock. */
export const CRONS: RefCron[] = [
  { expr: "30 2 * * *", interval: false },
  { expr: "30 1 * * *", interval: false },
  { expr: "0 * * * *", interval: true },
  { expr: "*/30 * * * *", interval: true },
  { expr: "0 2 * * 0", interval: false },
];
export const SECONDS_CRON: RefCron = { expr: "*/15 * * * * *", interval: true };

/** Bit i set when wall time `w` (local time encoded as UTC ms) matches CRONS[i]. */
export function minuteMatches(w: number): number {
  if (w % MIN !== 0) return 0;
  const mi = w / MIN;
  const minute = mi % 60;
  const hi = (mi - minute) / 60;
  const hour = hi % 24;
  const weekday = (((hi - hour) / 24 + 4) % 7 + 7) % 7; // 1970-01-01 was a Thursday
  return (
    (minute === 30 && hour === 2 ? 1 : 0) |
    (minute === 30 && hour === 1 ? 2 : 0) |
    (minute === 0 ? 4 : 0) |
    (minute % 30 === 0 ? 8 : 0) |
    (minute === 0 && hour === 2 && weekday === 0 ? 16 : 0)
  );
}
export const secondMatches = (w: number) => (w % 15_000 === 0 ? 1 : 0);

/**
 * The rule, brute force, for several crons on one walk of real time in `step`s: at each
 * instant t with wall w = t + offset(t), cron i fires when w matches it and (it is an
 * interval cron, or w was never on the clock before); a fixed-time cron also fires at t
 * when the clock jumped over a matching wall time since the last step (the first
 * instant after a gap). Returns each cron's fires in (from, to]. The walk starts
 * `warmUp` ms early so the wall clock already seen is known.
 */
export function referenceFires(crons: RefCron[], matches: (w: number) => number, step: number, zone: RefZone, from: number, to: number, warmUp = DAY): number[][] {
  const out: number[][] = crons.map(() => []);
  let interval = 0;
  crons.forEach((c, i) => (interval |= c.interval ? 1 << i : 0));
  let ti = 0;
  let offset = zone.initial;
  const start = from - warmUp;
  while (ti < zone.transitions.length && zone.transitions[ti].at <= start) offset = zone.transitions[ti++].after;
  let prevWall = Number.NaN;
  let maxWall = -Infinity;
  for (let t = start; t <= to; t += step) {
    while (ti < zone.transitions.length && zone.transitions[ti].at <= t) offset = zone.transitions[ti++].after;
    const w = t + offset;
    // Fixed-time crons fire only on a wall time never seen; interval crons always.
    let fire = matches(w) & (w > maxWall ? -1 : interval);
    if (w - prevWall > step) {
      // The clock jumped: fixed-time crons matching a skipped (never seen) wall time fire now.
      for (let sw = prevWall + step; sw < w; sw += step) if (sw > maxWall) fire |= matches(sw) & ~interval;
    }
    if (fire && t > from) for (let i = 0; i < crons.length; i += 1) if (fire & (1 << i)) out[i].push(t);
    if (w > maxWall) maxWall = w;
    prevWall = w;
  }
  return out;
}

/** Doubles (an instant listed twice), missed and extra instants of `actual` against `expected`. */
export function diff(actual: number[], expected: number[]) {
  const exp = new Set(expected);
  const act = new Set(actual);
  return {
    doubles: actual.length - act.size,
    missed: expected.filter((t) => !act.has(t)).map((t) => new Date(t).toISOString()),
    extra: actual.filter((t) => !exp.has(t)).map((t) => new Date(t).toISOString()),
  };
}

/** Zones grouped by identical offsets over [from, to] (same start offset, same transitions). */
export function groupZones(zones: string[], from: number, to: number): { refs: Map<string, RefZone>; groups: Map<string, string[]> } {
  const refs = new Map<string, RefZone>();
  const groups = new Map<string, string[]>();
  for (const tz of zones) {
    const ref = refZone(tz, from, to);
    refs.set(tz, ref);
    const key = `${ref.initial}|${ref.transitions.map((t) => `${t.at}:${t.after}`).join(",")}`;
    groups.set(key, [...(groups.get(key) ?? []), tz]);
  }
  return { refs, groups };
}
