import "server-only";
import { and, asc, eq, gt, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { run, tablesOf, jsonNumber } from "../sql";

/**
 * Reads behind GET /api/metrics. Task counts and histograms come from the trigger-maintained
 * counter tables (task_status_counts, schedule_task_counts, firing_histograms; migration
 * 0006 on SQLite, drizzle/pg/0001_maintained_counters.sql on PostgreSQL, ADR 0010), so a
 * scrape reads a few hundred rows whatever the size of the history (issue 15).
 */

/** Tasks per status (statuses with no task may be absent or 0). */
export async function selectTaskStatusCounts(db: Db): Promise<{ status: string; n: number }[]> {
  const { taskStatusCounts } = tablesOf(db);
  return run(db, db.select({ status: taskStatusCounts.status, n: taskStatusCounts.n }).from(taskStatusCounts));
}

/** Skipped occurrences per schedule, schedules with at least one. */
export async function selectSkippedCountsBySchedule(db: Db): Promise<{ scheduleId: string; n: number }[]> {
  const { scheduleTaskCounts: c } = tablesOf(db);
  return run(db, db.select({ scheduleId: c.scheduleId, n: c.n }).from(c).where(and(eq(c.status, "skipped"), gt(c.n, 0))));
}

/** Missed occurrences per schedule: the sum of `data.count` over its `missed_occurrences` events. */
export async function selectMissedCountsBySchedule(db: Db): Promise<{ scheduleId: string; n: number }[]> {
  const { events } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ scheduleId: events.scheduleId, n: sql<number>`coalesce(sum(${jsonNumber(db, events.data, "count")}), 0)` })
      .from(events)
      .where(and(eq(events.kind, "missed_occurrences"), isNotNull(events.scheduleId)))
      .groupBy(events.scheduleId),
  );
  return rows.map((r) => ({ scheduleId: r.scheduleId!, n: Number(r.n) }));
}

/**
 * The cumulative buckets of one firing histogram, ascending by bound (`leMs` ms; the last
 * row is +Inf, 2^63 − 1, and holds the count and the sum `sumMs` in ms).
 */
export async function selectFiringHistogram(db: Db, metric: "lateness_ms" | "slot_wait_ms"): Promise<{ leMs: number; n: number; sumMs: number }[]> {
  const { firingHistograms: h } = tablesOf(db);
  return run(db, db.select({ leMs: h.leMs, n: h.n, sumMs: h.sumMs }).from(h).where(eq(h.metric, metric)).orderBy(asc(h.leMs)));
}
