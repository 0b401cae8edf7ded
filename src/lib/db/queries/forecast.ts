import "server-only";
/** The forecast's reads (issue #12 item 8): three statements whatever the number of schedules, both dialects. Times are UTC ms. */
import { and, avg, eq, gte, isNotNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { ScheduleRow } from "../schema";
import { run, tablesOf } from "../sql";

/** What the forecast needs of a schedule. */
export type ForecastScheduleRow = { cronExpression: string } & Pick<
  ScheduleRow,
  "id" | "name" | "timezone" | "overlapPolicy" | "maxRunDurationSec" | "maxFirings" | "firingCount" | "expiresAt" | "nextFireAt" | "createdAt" | "concurrencyGroup" | "activeWindow" | "excludeDates" | "pausedUntil" | "jitterSec"
>;

/** Every active schedule with a cron, and every paused one with a pause-until (it resumes by itself), oldest first (a chained-only schedule has no cron occurrences to forecast, ADR 0024). */
export async function selectForecastSchedules(db: Db): Promise<ForecastScheduleRow[]> {
  const { schedules: s } = tablesOf(db);
  return run(
    db,
    db
      .select({
        id: s.id,
        name: s.name,
        cronExpression: s.cronExpression,
        timezone: s.timezone,
        overlapPolicy: s.overlapPolicy,
        maxRunDurationSec: s.maxRunDurationSec,
        maxFirings: s.maxFirings,
        firingCount: s.firingCount,
        expiresAt: s.expiresAt,
        nextFireAt: s.nextFireAt,
        createdAt: s.createdAt,
        concurrencyGroup: s.concurrencyGroup,
        activeWindow: s.activeWindow,
        excludeDates: s.excludeDates,
        pausedUntil: s.pausedUntil,
        jitterSec: s.jitterSec,
      })
      .from(s)
      // Active ones, and paused ones that resume by themselves (pause-until): their firings after the resume count.
      .where(and(or(eq(s.status, "active"), and(eq(s.status, "paused"), isNotNull(s.pausedUntil))), isNotNull(s.cronExpression)))
      .orderBy(s.createdAt, s.id),
  ) as Promise<ForecastScheduleRow[]>;
}

/**
 * Mean duration (ms) of each schedule's last `perSchedule` firings fired at or after
 * `since`, for every schedule at once: one statement (ROW_NUMBER() per schedule over the
 * firing-metrics index, then AVG), not one query per schedule. Schedules without a
 * firing in the range are absent from the map.
 */
export async function selectRecentAvgDurations(db: Db, perSchedule: number, since: number): Promise<Map<string, number>> {
  const { scheduleFiringMetrics: m } = tablesOf(db);
  const ranked = db
    .select({
      scheduleId: m.scheduleId,
      durationMs: m.durationMs,
      rn: sql<number>`row_number() over (partition by ${m.scheduleId} order by ${m.firedAt} desc)`.as("rn"),
    })
    .from(m)
    .where(gte(m.firedAt, since))
    .as("ranked");
  const found = await run(
    db,
    db
      .select({ scheduleId: ranked.scheduleId, avg: avg(ranked.durationMs) })
      .from(ranked)
      .where(and(lte(ranked.rn, perSchedule)))
      .groupBy(ranked.scheduleId),
  );
  return new Map(found.filter((r) => r.avg != null).map((r) => [r.scheduleId, Number(r.avg)]));
}
