/**
 * UTC offsets of IANA timezones as a table of transitions, read from the runtime's
 * tz database (Intl) once per zone and UTC year, so the cron evaluator (cron.ts) asks
 * "what is the offset at instant t" and "when is the next transition" with a lookup
 * instead of a formatter call. All instants and offsets are UTC milliseconds; an
 * offset is `wall clock − UTC` (Australia/Lord_Howe in summer: +11 h = 39,600,000).
 *
 * Assumption (docs/design.md "Time zones and DST"): a zone changes its offset at most
 * once in any 24 hours. The table samples each zone once a day and bisects every change
 * to the millisecond; the DST property test (cron-dst.property.test.ts) checks the
 * table of every zone the runtime knows against an independent weekly scan for
 * 2026–2030.
 */

const DAY_MS = 86_400_000;

/** One offset change: from `at` (inclusive, UTC ms) on, the zone's offset is `offsetAfter`. */
export interface ZoneTransition {
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // `longOffset` renders only what we need ("GMT+10:30"); ~2 µs a call against ~10 µs
    // for formatToParts of every field.
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset", hour: "numeric" });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * The offset at instant `t` straight from the runtime's tz database (no table).
 * @throws RangeError for a timezone the runtime does not know.
 */
export function intlOffsetAt(tz: string, t: number): number {
  const text = formatterFor(tz).format(t);
  const m = /GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(text);
  if (!m) throw new RangeError(`cannot read the UTC offset of ${tz} from "${text}"`);
  if (!m[1]) return 0;
  const abs = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === "-" ? -abs : abs;
}

function buildYear(tz: string, year: number): YearTable {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const initial = intlOffsetAt(tz, start);
  const transitions: ZoneTransition[] = [];
  // A change exactly at the turn of the year belongs to this year's table.
  const before = intlOffsetAt(tz, start - 1);
  if (before !== initial) transitions.push({ at: start, offsetBefore: before, offsetAfter: initial });
  let prevT = start;
  let prev = initial;
  for (let t = Math.min(start + DAY_MS, end - 1); ; t = Math.min(t + DAY_MS, end - 1)) {
    const o = intlOffsetAt(tz, t);
    if (o !== prev) {
      // Bisect (prevT, t] for the first millisecond with the new offset.
      let lo = prevT;
      let hi = t;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (intlOffsetAt(tz, mid) === prev) lo = mid;
        else hi = mid;
      }
      transitions.push({ at: hi, offsetBefore: prev, offsetAfter: o });
      prev = o;
    }
    prevT = t;
    if (t === end - 1) break;
  }
  return { start, end, initial, transitions };
}

interface YearTable {
  start: number;
  end: number;
  /** Offset in force at `start`. */
  initial: number;
  transitions: ZoneTransition[];
}

/** One zone's offsets: year tables built on demand, the last one used kept at hand. */
export class ZoneOffsets {
  private readonly years = new Map<number, YearTable>();
  private last: YearTable | null = null;

  constructor(readonly tz: string) {}

  private tableAt(t: number): YearTable {
    const last = this.last;
    if (last && t >= last.start && t < last.end) return last;
    let year = 1970 + Math.floor(t / 31_556_952_000);
    if (Date.UTC(year, 0, 1) > t) year -= 1;
    else if (Date.UTC(year + 1, 0, 1) <= t) year += 1;
    let table = this.years.get(year);
    if (!table) {
      table = buildYear(this.tz, year);
      this.years.set(year, table);
    }
    this.last = table;
    return table;
  }

  /** The UTC offset (ms) at instant `t` (UTC ms). */
  offsetAt(t: number): number {
    const table = this.tableAt(t);
    let o = table.initial;
    for (const tr of table.transitions) {
      if (tr.at > t) break;
      o = tr.offsetAfter;
    }
    return o;
  }

  /**
   * The offset at `t` and a span around it with no transition: `[from, to)` (UTC ms)
   * holds the same offset. The span may be narrower than the truth (it stops at the
   * turn of a UTC year), never wider.
   */
  quietSpanAt(t: number): { offset: number; from: number; to: number } {
    const table = this.tableAt(t);
    let offset = table.initial;
    let from = table.start;
    let to = table.end;
    for (const tr of table.transitions) {
      if (tr.at > t) {
        to = tr.at;
        break;
      }
      offset = tr.offsetAfter;
      from = tr.at;
    }
    return { offset, from, to };
  }

  /** The transitions with `fromExclusive < at ≤ toInclusive`, ascending. */
  transitionsBetween(fromExclusive: number, toInclusive: number): ZoneTransition[] {
    const out: ZoneTransition[] = [];
    for (let t = fromExclusive; t <= toInclusive; ) {
      const table = this.tableAt(t);
      for (const tr of table.transitions) {
        if (tr.at > fromExclusive && tr.at <= toInclusive) out.push(tr);
      }
      t = table.end;
    }
    return out;
  }
}

const zones = new Map<string, ZoneOffsets>();

/**
 * The offset table of `tz` (shared, built lazily).
 * @throws RangeError (on first use) for a timezone the runtime does not know.
 */
export function zoneOffsets(tz: string): ZoneOffsets {
  let z = zones.get(tz);
  if (!z) {
    z = new ZoneOffsets(tz);
    zones.set(tz, z);
  }
  return z;
}

/**
 * The UTC offset (ms) of `tz` at instant `t` (UTC ms).
 * @throws RangeError for a timezone the runtime does not know.
 */
export function offsetAt(tz: string, t: number): number {
  return zoneOffsets(tz).offsetAt(t);
}

/**
 * The offset transitions of `tz` with `fromExclusive < at ≤ toInclusive`, ascending.
 * @throws RangeError for a timezone the runtime does not know.
 */
export function transitionsBetween(tz: string, fromExclusive: number, toInclusive: number): ZoneTransition[] {
  return zoneOffsets(tz).transitionsBetween(fromExclusive, toInclusive);
}
