/**
 * Benchmark and correctness check of the cron/DST candidates (ADR 0007): cron-parser
 * 5.10.5 as cron.ts used it (stepping next() and one iterator), croner 11.0.1, and
 * ours (cron-parser's parser + our matching and DST rule, src/lib/schedules/cron.ts).
 *
 * Correctness: every group of zones with identical offsets over 2026–2030 (every IANA
 * zone the runtime knows), the five minute crons of the property test, in the two days
 * around each transition (one ordinary day a year for zones without DST), against the
 * brute-force reference (test/support/dst-reference.ts): doubles, missed, extra, and
 * windows where the candidate stalled (threw or returned no next occurrence).
 * Speed: µs per next() call, stepping warm through a year.
 *
 *   npm run bench:cron-dst            (CRON_DST_SPEED=0: correctness only)
 */
import { Cron } from "croner";
import { CronExpressionParser } from "cron-parser";
import { nextOccurrence, occurrencesBetween } from "../src/lib/schedules/cron";
import { CRONS, DAY, diff, groupZones, minuteMatches, referenceFires } from "../test/support/dst-reference";

type Next = (expr: string, tz: string, afterMs: number) => number | null;
type Between = (expr: string, tz: string, from: number, to: number) => number[] | null;

/** cron.ts before ADR 0007: nextOccurrence (stepping path). */
const cronParserNext: Next = (expr, tz, after) => {
  try {
    const it = CronExpressionParser.parse(expr, { tz, currentDate: new Date(after) });
    let t = it.next().getTime();
    for (let i = 0; t <= after && i < 10; i += 1) t = it.next().getTime();
    return t > after ? t : null;
  } catch {
    return null;
  }
};

/** cron.ts before ADR 0007: occurrencesBetween (catch-up path, one iterator; errors end the list). */
const cronParserIterator: Between = (expr, tz, from, to) => {
  const out: number[] = [];
  let cursor = from;
  const it = CronExpressionParser.parse(expr, { tz, currentDate: new Date(from) });
  for (let i = 0; i < 5000; i += 1) {
    let t: number;
    try {
      t = it.next().getTime();
    } catch {
      return out.length ? Object.assign(out, { stalled: true }) : null;
    }
    if (t <= cursor) continue;
    if (t > to) break;
    out.push(t);
    cursor = t;
  }
  return out;
};

const cronerJobs = new Map<string, Cron>();
const cronerNext: Next = (expr, tz, after) => {
  const key = `${expr}|${tz}`;
  let job = cronerJobs.get(key);
  if (!job) {
    job = new Cron(expr, { timezone: tz, paused: true });
    cronerJobs.set(key, job);
  }
  try {
    return job.nextRun(new Date(after))?.getTime() ?? null;
  } catch {
    return null;
  }
};

const oursNext: Next = (expr, tz, after) => nextOccurrence(expr, tz, after);

const stepping =
  (next: Next): Between =>
  (expr, tz, from, to) => {
    const out: number[] = [];
    let t: number | null = from;
    for (let i = 0; i < 5000; i += 1) {
      t = next(expr, tz, t);
      if (t == null) return Object.assign(out, { stalled: true });
      if (t > to) break;
      out.push(t);
    }
    return out;
  };

const CANDIDATES: { name: string; between: Between; next: Next }[] = [
  { name: "cron-parser 5.10.5, stepping next() (old nextOccurrence)", between: stepping(cronParserNext), next: cronParserNext },
  { name: "cron-parser 5.10.5, one iterator (old occurrencesBetween)", between: cronParserIterator, next: cronParserNext },
  { name: "croner 11.0.1, nextRun()", between: stepping(cronerNext), next: cronerNext },
  { name: "ours (cron.ts): stepping occurrenceAfter", between: (e, tz, a, b) => occurrencesBetween(e, tz, a, b, 5000), next: oursNext },
];

const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2031, 0, 1);
const zones = [...new Set([...Intl.supportedValuesOf("timeZone"), "UTC"])].sort();
const { refs, groups } = groupZones(zones, FROM - 3 * DAY, TO + 3 * DAY);
console.log(`${zones.length} zones, ${groups.size} groups with identical offsets 2026–2030; node ${process.version}; ${new Date().toISOString()}`);

const windows = new Map<string, [number, number][]>();
for (const members of groups.values()) {
  const ref = refs.get(members[0])!;
  const w: [number, number][] = ref.transitions.map((tr) => [tr.at - DAY, tr.at + DAY]);
  if (!w.length) for (let y = 2026; y <= 2030; y += 1) w.push([Date.UTC(y, 5, 14), Date.UTC(y, 5, 16)]);
  windows.set(members[0], w);
}

for (const cand of CANDIDATES) {
  const tally = { windows: 0, fires: 0, doubles: 0, missed: 0, extra: 0, stalled: 0, badZones: new Set<string>() };
  const perCron = new Map<string, number>();
  for (const members of groups.values()) {
    const tz = members[0];
    for (const [a, b] of windows.get(tz)!) {
      const expected = referenceFires(CRONS, minuteMatches, 60_000, refs.get(tz)!, a, b);
      CRONS.forEach((cron, i) => {
        tally.windows += 1;
        tally.fires += expected[i].length;
        const got = cand.between(cron.expr, tz, a, b);
        const stalled = got == null || (got as { stalled?: boolean }).stalled === true;
        const d = diff(got ?? [], expected[i]);
        const bad = d.doubles + d.missed.length + d.extra.length + (stalled ? 1 : 0);
        tally.doubles += d.doubles;
        tally.missed += d.missed.length;
        tally.extra += d.extra.length;
        if (stalled) tally.stalled += 1;
        if (bad) {
          for (const z of members) tally.badZones.add(z);
          perCron.set(cron.expr, (perCron.get(cron.expr) ?? 0) + 1);
        }
      });
    }
  }
  console.log(`\n${cand.name}`);
  console.log(
    `  ${tally.windows} windows, ${tally.fires} expected fires: ${tally.doubles} doubles, ${tally.missed} missed, ${tally.extra} extra, ${tally.stalled} stalled windows; zones affected ${tally.badZones.size}/${zones.length}`,
  );
  console.log(`  windows wrong per cron: ${JSON.stringify(Object.fromEntries(perCron))}`);
  if (process.env.CRON_DST_SPEED === "0") continue; // correctness only
  for (const [tz, expr, n] of [
    ["America/New_York", "*/30 * * * *", 20_000],
    ["Australia/Lord_Howe", "*/30 * * * *", 20_000],
    ["Europe/London", "30 2 * * *", 1_000],
    ["UTC", "*/15 * * * * *", 20_000],
  ] as const) {
    let t = FROM;
    for (let i = 0; i < 200; i += 1) t = cand.next(expr, tz, t) ?? t + 60_000; // warm-up
    t = FROM;
    const start = performance.now();
    for (let i = 0; i < n; i += 1) t = cand.next(expr, tz, t) ?? t + 60_000;
    console.log(`  next() ${tz} "${expr}": ${(((performance.now() - start) / n) * 1000).toFixed(2)} µs/call`);
  }
}
