import "server-only";
/** `schedule_firing_metrics` statements (issue 3 item 10), both dialects. Times are UTC ms. */
import { and, asc, eq, gte, lt } from "drizzle-orm";
import type { Db } from "../client";
import type { FiringMetricRow } from "../schema";
import { affected, run, tablesOf } from "../sql";

/** A firing-metric row to insert (the id is generated). */
export type NewFiringMetricRow = Omit<FiringMetricRow, "id">;

/** Inserts one firing's metrics row (inside the terminal write's transaction). */
export async function insertFiringMetric(db: Db, row: NewFiringMetricRow): Promise<void> {
  const { scheduleFiringMetrics } = tablesOf(db);
  await run(db, db.insert(scheduleFiringMetrics).values(row));
}

/** Deletes firing metrics fired before `before`. Returns the number removed. */
export async function deleteFiringMetricsBefore(db: Db, before: number): Promise<number> {
  const { scheduleFiringMetrics } = tablesOf(db);
  return affected(db, db.delete(scheduleFiringMetrics).where(lt(scheduleFiringMetrics.firedAt, before)));
}

/** A schedule's firing metrics fired at or after `since`, oldest first, at most `limit`. */
export async function selectFiringMetrics(db: Db, scheduleId: string, since: number, limit: number): Promise<FiringMetricRow[]> {
  const { scheduleFiringMetrics } = tablesOf(db);
  return run(
    db,
    db
      .select()
      .from(scheduleFiringMetrics)
      .where(and(eq(scheduleFiringMetrics.scheduleId, scheduleId), gte(scheduleFiringMetrics.firedAt, since)))
      .orderBy(asc(scheduleFiringMetrics.firedAt), asc(scheduleFiringMetrics.id))
      .limit(limit),
  );
}
