import "server-only";
import type { ScheduleDto, ScheduleUsageDto } from "../api-types";
import { getDb, type Db } from "../db/client";
import { selectUsageTotals, type UsageTotalsRow, type UsageWindows } from "../db/queries/spend";

export const HOUR_MS = 3_600_000;

/**
 * Window starts for `now` (UTC ms), in whole buckets: 24 h = the current UTC hour and the 24
 * before it (24–25 h); 7 d / 30 d = today (UTC) and the 7 / 30 days before it. A cap checked
 * against them errs on the side of counting more spend, never less (ADR 0020).
 */
export function usageWindows(now: number): UsageWindows {
  const hour = now - (now % HOUR_MS);
  const day = utcDayStart(now);
  return { h24: hour - 24 * HOUR_MS, d7: day - 7 * 24 * HOUR_MS, d30: day - 30 * 24 * HOUR_MS };
}

/**
 * The rollup buckets no spend read at `now` (UTC ms) or in the next day can reach, for retention
 * (ADR 0025 amendment): hour buckets starting before `hourBefore` (one more 24 h window past
 * usageWindows' h24) and UTC-day buckets before `dayBefore` (32 days past its d30). Derived from
 * usageWindows so the two never drift apart; the margin also covers a maintenance run on a
 * stepped clock. selectCostOfDay reads only today's day bucket, well inside.
 */
export function staleRollupCutoffs(now: number): { hourBefore: number; dayBefore: number } {
  const w = usageWindows(now);
  return { hourBefore: w.h24 - 24 * HOUR_MS, dayBefore: w.d30 - 32 * 24 * HOUR_MS };
}

/** Start (UTC ms) of the UTC day holding `now`: the global daily cap's window. */
export function utcDayStart(now: number): number {
  return now - (now % (24 * HOUR_MS));
}

/** A window's cost: null ("unknown") when it has runs and every one of them is unpriced. */
function cost(sum: number, runs: number, unpriced: number): number | null {
  return runs > 0 && unpriced === runs ? null : sum;
}

const EMPTY: ScheduleUsageDto = {
  costUsd24h: 0, costUsd7d: 0, costUsd30d: 0, costUsdAll: 0,
  inputTokens24h: 0, outputTokens24h: 0, inputTokens7d: 0, outputTokens7d: 0,
  inputTokens30d: 0, outputTokens30d: 0, inputTokensAll: 0, outputTokensAll: 0,
  runs30d: 0, unpricedRuns30d: 0, unpricedRunsAll: 0,
};

/** API shape (Schedule.usage) of a totals row; a schedule without rows has spent nothing. */
export function toUsageDto(r: UsageTotalsRow | undefined): ScheduleUsageDto {
  if (!r) return { ...EMPTY };
  return {
    costUsd24h: cost(r.cost24h, r.runs24h, r.unpriced24h),
    costUsd7d: cost(r.cost7d, r.runs7d, r.unpriced7d),
    costUsd30d: cost(r.cost30d, r.runs30d, r.unpriced30d),
    costUsdAll: cost(r.costAll, r.runsAll, r.unpricedAll),
    inputTokens24h: r.in24h, outputTokens24h: r.out24h,
    inputTokens7d: r.in7d, outputTokens7d: r.out7d,
    inputTokens30d: r.in30d, outputTokens30d: r.out30d,
    inputTokensAll: r.inAll, outputTokensAll: r.outAll,
    runs30d: r.runs30d, unpricedRuns30d: r.unpriced30d, unpricedRunsAll: r.unpricedAll,
  };
}

/**
 * Usage totals of the given schedules (null = all) at `now` (UTC ms), by schedule id: one
 * grouped query over the maintained hourly rollups (queries/spend.ts selectUsageTotals).
 */
export async function scheduleUsage(db: Db, scheduleIds: string[] | null, now: number): Promise<Map<string, ScheduleUsageDto>> {
  const rows = await selectUsageTotals(db, usageWindows(now), scheduleIds);
  const byId = new Map(rows.map((r) => [r.scheduleId, r]));
  const ids = scheduleIds ?? [...byId.keys()];
  return new Map(ids.map((id) => [id, toUsageDto(byId.get(id))]));
}

/**
 * Sets `usage` on serialized schedules (GET /api/schedules, GET/PATCH /api/schedules/:id) with
 * one read for the whole list, and returns the same array. `now`: UTC ms. The objects are
 * changed in place, not copied: the callers pass schedules they just serialized, and a copy of
 * each of 1,000 schedules was a tenth of GET /api/schedules' time (bench:history, 2026-12-04).
 */
export async function withScheduleUsage<T extends ScheduleDto>(db: Db, schedules: T[], now: number): Promise<T[]> {
  const usage = await scheduleUsage(db, schedules.length > 50 ? null : schedules.map((s) => s.id), now);
  for (const s of schedules) s.usage = usage.get(s.id) ?? toUsageDto(undefined);
  return schedules;
}

/** One serialized schedule with its `usage` (GET/PATCH /api/schedules/:id). `now`: UTC ms. */
export async function withUsage<T extends ScheduleDto>(schedule: T, now: number, db: Db = getDb()): Promise<T> {
  return (await withScheduleUsage(db, [schedule], now))[0];
}
