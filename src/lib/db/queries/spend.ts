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

/**
 * Usage totals per schedule in one grouped query over the rollups (no N+1, no task scan):
 * the hour rows since `w.h24` (≤ 25 a schedule), the day rows since `w.d30` (≤ 31) and the
 * all-time row. `scheduleIds` null = every schedule (including '' for tasks without one).
 */
export async function selectUsageTotals(db: Db, w: UsageWindows, scheduleIds: string[] | null): Promise<UsageTotalsRow[]> {
  const { scheduleUsageRollups: u } = tablesOf(db);
  if (scheduleIds && !scheduleIds.length) return [];
  type Col = typeof u.costUsd | typeof u.inputTokens | typeof u.outputTokens | typeof u.runs | typeof u.unpricedRuns;
  const inWindow = (span: number, start: number, col: Col) =>
    sql<number>`coalesce(sum(CASE WHEN ${u.spanMs} = ${span} AND ${u.bucketStart} >= ${start} THEN ${col} ELSE 0 END), 0)`;
  const cols = [u.costUsd, u.inputTokens, u.outputTokens, u.runs, u.unpricedRuns] as const;
  const [c24, i24, o24, r24, p24] = cols.map((c) => inWindow(HOUR_SPAN_MS, w.h24, c));
  const [c7, i7, o7, r7, p7] = cols.map((c) => inWindow(DAY_SPAN_MS, w.d7, c));
  const [c30, i30, o30, r30, p30] = cols.map((c) => inWindow(DAY_SPAN_MS, w.d30, c));
  const [cA, iA, oA, rA, pA] = cols.map((c) => inWindow(0, 0, c));
  const rowsOut = await run(
    db,
    db
      .select({
        scheduleId: u.scheduleId,
        cost24h: c24, in24h: i24, out24h: o24, runs24h: r24, unpriced24h: p24,
        cost7d: c7, in7d: i7, out7d: o7, runs7d: r7, unpriced7d: p7,
        cost30d: c30, in30d: i30, out30d: o30, runs30d: r30, unpriced30d: p30,
        costAll: cA, inAll: iA, outAll: oA, runsAll: rA, unpricedAll: pA,
      })
      .from(u)
      .where(
        and(
          or(and(eq(u.spanMs, HOUR_SPAN_MS), gte(u.bucketStart, w.h24)), and(eq(u.spanMs, DAY_SPAN_MS), gte(u.bucketStart, w.d30)), eq(u.spanMs, 0)),
          scheduleIds ? inArray(u.scheduleId, scheduleIds) : undefined,
        ),
      )
      .groupBy(u.scheduleId),
  );
  // PostgreSQL returns bigint sums as strings.
  return rowsOut.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === "scheduleId" ? v : Number(v)])) as unknown as UsageTotalsRow);
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
