import "server-only";
import { and, asc, eq, gte, inArray, isNotNull, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { affected, execute, first, run, tablesOf } from "../sql";

/**
 * Spend reads and writes (src/lib/budgets): the trigger-maintained usage rollups
 * (`schedule_usage_rollups`, migration spend_triggers), the outcome counters for
 * /api/metrics, and the open cost-cap breaches. A read touches at most 25 hour rows, 31 day
 * rows and one all-time row per schedule, whatever the size of the task history (ADR 0020).
 */

/** Window starts (UTC ms): 24 h on hour buckets, 7 d / 30 d on UTC-day buckets. */
export interface UsageWindows {
  h24: number;
  d7: number;
  d30: number;
}

export const HOUR_SPAN_MS = 3_600_000;
export const DAY_SPAN_MS = 86_400_000;

/** Summed usage of one schedule per window (costs in USD; tokens; runs with usage; runs with unknown cost). */
export interface UsageTotalsRow {
  scheduleId: string;
  cost24h: number; in24h: number; out24h: number; runs24h: number; unpriced24h: number;
  cost7d: number; in7d: number; out7d: number; runs7d: number; unpriced7d: number;
  cost30d: number; in30d: number; out30d: number; runs30d: number; unpriced30d: number;
  costAll: number; inAll: number; outAll: number; runsAll: number; unpricedAll: number;
}

/** One window's sums of one schedule (costs in USD; tokens; runs with usage; runs with unknown cost), as selectUsageTotals reads them. */
interface WindowSums {
  scheduleId: string;
  cost: number; input: number; output: number; runs: number; unpriced: number;
}

/** The windows selectUsageTotals can read: 24 h (hour rows), 7 d and 30 d (day rows), all time. */
export type UsageWindowName = "h24" | "d7" | "d30" | "all";

const ALL_WINDOWS: readonly UsageWindowName[] = ["h24", "d7", "d30", "all"];

/**
 * Usage totals per schedule over the rollups (no N+1, no task scan): the hour rows since
 * `w.h24` (≤ 25 a schedule), the day rows since `w.d7` and since `w.d30` (≤ 31) and the
 * all-time row. `scheduleIds` null = every schedule (including '' for tasks without one).
 * `windows`: which of them to read (default all); the fields of the others stay 0 — the cost
 * caps' gate reads only 24 h and 7 d. One statement per window, one after another (the caller's
 * handle may be a transaction's single connection), each a range of the covering window index
 * summed plainly, merged here: the single statement with 20 `CASE` sums over every row of the
 * three spans cost GET /api/schedules 114–141 ms p50 at 1,000 schedules with a year of history
 * (bench:history, 2026-12-04), over its 100 ms target (issue 15 item 3).
 */
export async function selectUsageTotals(db: Db, w: UsageWindows, scheduleIds: string[] | null, windows: readonly UsageWindowName[] = ALL_WINDOWS): Promise<UsageTotalsRow[]> {
  const { scheduleUsageRollups: u } = tablesOf(db);
  if (scheduleIds && !scheduleIds.length) return [];
  const ofSchedules = scheduleIds ? inArray(u.scheduleId, scheduleIds) : undefined;
  const sums = {
    cost: sql<number>`coalesce(sum(${u.costUsd}), 0)`, input: sql<number>`coalesce(sum(${u.inputTokens}), 0)`, output: sql<number>`coalesce(sum(${u.outputTokens}), 0)`,
    runs: sql<number>`coalesce(sum(${u.runs}), 0)`, unpriced: sql<number>`coalesce(sum(${u.unpricedRuns}), 0)`,
  };
  // One range of the window index per window, each summed plainly: 7 d as its own narrower range
  // of the day rows, not CASE sums over the 30 d range (each CASE column cost ~2 ms over the 23,440
  // day rows of bench:history; a plain range read of 7 d reads a quarter of them).
  const windowSums = (span: number, start: number): Promise<WindowSums[]> =>
    run(db, db.select({ scheduleId: u.scheduleId, ...sums }).from(u).where(and(eq(u.spanMs, span), gte(u.bucketStart, start), ofSchedules)).groupBy(u.scheduleId));
  const reads: Record<UsageWindowName, { read: () => Promise<WindowSums[]>; set: (t: UsageTotalsRow, sums: number[]) => void }> = {
    h24: { read: () => windowSums(HOUR_SPAN_MS, w.h24), set: (t, [c, i, o, r, p]) => Object.assign(t, { cost24h: c, in24h: i, out24h: o, runs24h: r, unpriced24h: p }) },
    d7: { read: () => windowSums(DAY_SPAN_MS, w.d7), set: (t, [c, i, o, r, p]) => Object.assign(t, { cost7d: c, in7d: i, out7d: o, runs7d: r, unpriced7d: p }) },
    d30: { read: () => windowSums(DAY_SPAN_MS, w.d30), set: (t, [c, i, o, r, p]) => Object.assign(t, { cost30d: c, in30d: i, out30d: o, runs30d: r, unpriced30d: p }) },
    all: {
      read: () => run(db, db.select({ scheduleId: u.scheduleId, cost: u.costUsd, input: u.inputTokens, output: u.outputTokens, runs: u.runs, unpriced: u.unpricedRuns }).from(u).where(and(eq(u.spanMs, 0), ofSchedules))),
      set: (t, [c, i, o, r, p]) => Object.assign(t, { costAll: c, inAll: i, outAll: o, runsAll: r, unpricedAll: p }),
    },
  };
  const totals = new Map<string, UsageTotalsRow>();
  for (const name of windows) {
    const { read, set } = reads[name];
    for (const r of await read()) {
      let t = totals.get(r.scheduleId);
      if (!t) totals.set(r.scheduleId, (t = emptyTotals(r.scheduleId)));
      // PostgreSQL returns bigint sums as strings.
      set(t, [r.cost, r.input, r.output, r.runs, r.unpriced].map(Number));
    }
  }
  return [...totals.values()];
}

function emptyTotals(scheduleId: string): UsageTotalsRow {
  return {
    scheduleId,
    cost24h: 0, in24h: 0, out24h: 0, runs24h: 0, unpriced24h: 0,
    cost7d: 0, in7d: 0, out7d: 0, runs7d: 0, unpriced7d: 0,
    cost30d: 0, in30d: 0, out30d: 0, runs30d: 0, unpriced30d: 0,
    costAll: 0, inAll: 0, outAll: 0, runsAll: 0, unpricedAll: 0,
  };
}

/** Cost (USD) of every task finished in the UTC day starting at `dayStart` (UTC ms), all schedules and none. */
export async function selectCostOfDay(db: Db, dayStart: number): Promise<number> {
  const { scheduleUsageRollups: u } = tablesOf(db);
  const row = await first(db, db.select({ c: sql<number>`coalesce(sum(${u.costUsd}), 0)` }).from(u).where(and(eq(u.spanMs, DAY_SPAN_MS), eq(u.bucketStart, dayStart))));
  return Number(row?.c ?? 0);
}

/** The cost caps of `scheduleIds` (schedules without any cap are left out). */
export async function selectScheduleCaps(
  db: Db,
  scheduleIds: string[],
): Promise<{ id: string; name: string; maxCostUsd24h: number | null; maxCostUsd7d: number | null }[]> {
  if (!scheduleIds.length) return [];
  const { schedules: s } = tablesOf(db);
  return run(
    db,
    db
      .select({ id: s.id, name: s.name, maxCostUsd24h: s.maxCostUsd24h, maxCostUsd7d: s.maxCostUsd7d })
      .from(s)
      .where(and(inArray(s.id, scheduleIds), or(isNotNull(s.maxCostUsd24h), isNotNull(s.maxCostUsd7d)))),
  );
}

/** A schedule's per-run cap (USD) and name; undefined when the schedule is gone. */
export async function selectRunCap(db: Db, scheduleId: string): Promise<{ maxCostUsdPerRun: number | null; name: string } | undefined> {
  const { schedules: s } = tablesOf(db);
  return first(db, db.select({ maxCostUsdPerRun: s.maxCostUsdPerRun, name: s.name }).from(s).where(eq(s.id, scheduleId)).limit(1));
}

/** An open breach row (see schema budgetBreaches). */
export interface BreachRow {
  key: string;
  scope: "24h" | "7d" | "day";
  scheduleId: string | null;
  capUsd: number;
  spentUsd: number;
  since: number;
}

/** The open breaches among `keys`. */
export async function selectBreaches(db: Db, keys: string[]): Promise<BreachRow[]> {
  if (!keys.length) return [];
  const { budgetBreaches: b } = tablesOf(db);
  return run(db, db.select().from(b).where(inArray(b.key, keys)));
}

/** Opens a breach; true when this call opened it (it was not open), false when it already was. */
export async function openBreach(db: Db, row: BreachRow): Promise<boolean> {
  const { budgetBreaches: b } = tablesOf(db);
  return (await affected(db, db.insert(b).values(row).onConflictDoNothing({ target: b.key }))) === 1;
}

/** Closes the given breaches (a firing of their scope passed its check). */
export async function closeBreaches(db: Db, keys: string[]): Promise<void> {
  if (!keys.length) return;
  const { budgetBreaches: b } = tablesOf(db);
  await run(db, db.delete(b).where(inArray(b.key, keys)));
}

/** Maintained outcome counters (metric, schedule, reason) with n > 0, for /api/metrics. */
export async function selectOutcomeCounts(db: Db): Promise<{ metric: string; scheduleId: string; reason: string; n: number }[]> {
  const { scheduleOutcomeCounts: c } = tablesOf(db);
  const out = await run(db, db.select().from(c).orderBy(asc(c.metric), asc(c.scheduleId), asc(c.reason)));
  return out.map((r) => ({ ...r, n: Number(r.n) })).filter((r) => r.n > 0);
}

/**
 * Deletes up to `limit` usage rollup rows no read can reach any more (retention, issue 11): hour
 * buckets starting before `hourBefore` and UTC-day buckets starting before `dayBefore` (UTC ms).
 * The all-time rows stay. The reads above touch hour rows of the last 24 h and day rows of the
 * last 30 days (and today's, selectCostOfDay); without this the table grew by 25 rows a schedule
 * a day forever — 10.5 MiB of a year's 42 MiB in the simulated year on PostgreSQL (2026-12-04).
 * @returns the rows deleted (fewer than `limit`: nothing older is left).
 */
export async function deleteStaleUsageRollups(db: Db, cutoffs: { hourBefore: number; dayBefore: number }, limit: number): Promise<number> {
  return execute(
    db,
    sql`DELETE FROM schedule_usage_rollups WHERE (schedule_id, span_ms, bucket_start) IN (
      SELECT schedule_id, span_ms, bucket_start FROM schedule_usage_rollups
      WHERE (span_ms = ${HOUR_SPAN_MS} AND bucket_start < ${cutoffs.hourBefore}) OR (span_ms = ${DAY_SPAN_MS} AND bucket_start < ${cutoffs.dayBefore})
      LIMIT ${limit})`,
  );
}
