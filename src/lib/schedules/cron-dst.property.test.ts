/**
 * DST property test (issue 10 fault 6; docs/design.md "Time zones and DST"): every IANA
 * zone the runtime knows × 2026–2030 × the crons below, against a brute-force reference
 * that walks real time minute by minute (second by second for the seconds cron, around
 * every transition) and applies the rule to the wall clock it reads. 0 double fires,
 * 0 missed fires, 0 schedules expired or stalled.
 *
 * Every zone is covered: the occurrence code reads a zone only through its offset table
 * (zone-offsets.ts), so the test first checks EVERY zone's table against an independent
 * scan of Intl (weekly samples, formatToParts, bisected to the second), then groups
 * zones whose offsets are identical over the range (same start offset, same transitions)
 * and runs the full comparison once per group — the other zones of a group compute the
 * same instants from the same table. Every zone's own instants are also checked around
 * each of its transitions, through the public functions.
 */
import { describe, expect, it } from "vitest";
import { nextOccurrence, occurrencesBetween, previousOccurrence } from "./cron";
import { zoneOffsets } from "./zone-offsets";
import { CRONS, DAY, diff, HOUR, MIN, minuteMatches, referenceFires, refZone, SECONDS_CRON, secondMatches, type RefZone } from "../../../test/support/dst-reference";

const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2031, 0, 1);

/** Index of the first element > x in an ascending array. */
function upperBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const lastAtOrBefore = (sorted: number[], x: number) => sorted[upperBound(sorted, x) - 1] ?? null;
const firstAfter = (sorted: number[], x: number) => sorted[upperBound(sorted, x)] ?? null;

// ---- the zones -----------------------------------------------------------------------

const ZONES = [...new Set([...Intl.supportedValuesOf("timeZone"), "UTC"])].sort();
const SCAN_FROM = FROM - 3 * DAY;
const SCAN_TO = TO + 3 * DAY;

describe("DST property: every zone × 2026–2030", () => {
  const refs = new Map<string, RefZone>();
  const groups = new Map<string, string[]>();

  it(`reads the same offsets as an independent Intl scan, for all ${ZONES.length} zones`, () => {
    const mismatched: string[] = [];
    for (const tz of ZONES) {
      const ref = refZone(tz, SCAN_FROM, SCAN_TO);
      refs.set(tz, ref);
      const table = zoneOffsets(tz);
      const mine = table.transitionsBetween(SCAN_FROM, SCAN_TO).map((t) => ({ at: t.at, before: t.offsetBefore, after: t.offsetAfter }));
      if (table.offsetAt(SCAN_FROM) !== ref.initial || JSON.stringify(mine) !== JSON.stringify(ref.transitions)) mismatched.push(tz);
      const key = `${ref.initial}|${ref.transitions.map((t) => `${t.at}:${t.after}`).join(",")}`;
      groups.set(key, [...(groups.get(key) ?? []), tz]);
    }
    expect(mismatched).toEqual([]);
    // Australia/Lord_Howe (30-minute DST) and a fixed zone are there, and transitions exist.
    expect(refs.get("Australia/Lord_Howe")!.transitions.length).toBe(10);
    expect((refs.get("Asia/Kolkata") ?? refs.get("Asia/Calcutta"))!.transitions.length).toBe(0);
  }, 600_000);

  it("fires every minute cron like the brute-force reference: 0 doubles, 0 missed, 0 expired or stalled", () => {
    expect(groups.size).toBeGreaterThan(10);
    const failures: string[] = [];
    let compared = 0;
    for (const members of groups.values()) {
      const tz = members[0];
      const ref = refs.get(tz)!;
      const fires = referenceFires(CRONS, minuteMatches, MIN, ref, FROM, TO);
      CRONS.forEach((cron, i) => {
        const expected = fires[i];
        const actual = occurrencesBetween(cron.expr, tz, FROM, TO, 1_000_000);
        compared += expected.length;
        const d = diff(actual, expected);
        if (d.doubles || d.missed.length || d.extra.length) {
          failures.push(`${cron.expr} ${tz} (+${members.length - 1} zones): ${d.doubles} doubles, missed ${d.missed.slice(0, 3)} (${d.missed.length}), extra ${d.extra.slice(0, 3)} (${d.extra.length})`);
        }
        // Never expired or stalled: there is always a next occurrence, after the range too.
        const after = nextOccurrence(cron.expr, tz, TO);
        if (after == null || after - TO > 8 * DAY) failures.push(`${cron.expr} ${tz}: stalled after the range (${after})`);
        // The stepping path and the newest-occurrence path agree with the reference at
        // points around every transition (a catch-up pass asks exactly these).
        for (const tr of ref.transitions) {
          for (const x of [tr.at - HOUR - 1, tr.at - 1, tr.at, tr.at + 30 * MIN - 1, tr.at + HOUR, tr.at + 2 * HOUR + 7]) {
            const expNext = firstAfter(expected, x);
            const gotNext = nextOccurrence(cron.expr, tz, x);
            if (expNext != null && gotNext !== expNext) failures.push(`${cron.expr} ${tz} next after ${new Date(x).toISOString()}: ${gotNext && new Date(gotNext).toISOString()} ≠ ${new Date(expNext).toISOString()}`);
            const expPrev = lastAtOrBefore(expected, x);
            const gotPrev = previousOccurrence(cron.expr, tz, x);
            if (expPrev != null && gotPrev !== expPrev) failures.push(`${cron.expr} ${tz} previous at ${new Date(x).toISOString()}: ${gotPrev && new Date(gotPrev).toISOString()} ≠ ${new Date(expPrev).toISOString()}`);
          }
        }
      });
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThan(groups.size * 130_000);
  }, 600_000);

  it("fires the seconds cron like the reference around every transition of every group, and in sampled windows", () => {
    const failures: string[] = [];
    for (const members of groups.values()) {
      const tz = members[0];
      const ref = refs.get(tz)!;
      // Around each transition, and one ordinary hour a year.
      const windows = ref.transitions.map((tr) => [tr.at - 2 * HOUR, tr.at + 2 * HOUR]);
      for (let y = 2026; y <= 2030; y += 1) windows.push([Date.UTC(y, 5, 15, 7, 13, 5), Date.UTC(y, 5, 15, 8, 13, 5)]);
      for (const [a, b] of windows) {
        const [expected] = referenceFires([SECONDS_CRON], secondMatches, 1000, ref, a, b, 6 * HOUR);
        const actual = occurrencesBetween(SECONDS_CRON.expr, tz, a, b, 100_000);
        const d = diff(actual, expected);
        if (d.doubles || d.missed.length || d.extra.length) failures.push(`${tz} window ${new Date(a).toISOString()}: ${d.doubles} doubles, ${d.missed.length} missed, ${d.extra.length} extra`);
        if (expected.length < (b - a) / 15_000 - 1) failures.push(`${tz} window ${new Date(a).toISOString()}: reference too short (${expected.length})`);
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);

  it("every zone (not only each group's first) fires the fixed-time crons like the reference around its transitions", () => {
    const failures: string[] = [];
    for (const tz of ZONES) {
      const ref = refs.get(tz)!;
      for (const tr of ref.transitions) {
        const a = tr.at - DAY;
        const b = tr.at + DAY;
        const fires = referenceFires(CRONS, minuteMatches, MIN, ref, a, b);
        CRONS.forEach((cron, i) => {
          const d = diff(occurrencesBetween(cron.expr, tz, a, b, 1000), fires[i]);
          if (d.doubles || d.missed.length || d.extra.length) failures.push(`${cron.expr} ${tz} around ${new Date(tr.at).toISOString()}`);
        });
      }
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
