import "server-only";
import { getDb, type Db } from "../db/client";
import { lastRunsOfAllSchedules, type LastRunDto } from "../tasks/queries";
import { listSchedules, serializeSchedule, type ScheduleDto } from "./service";
import { withScheduleUsage } from "../budgets/usage";

/** A schedule in GET /api/schedules: the Schedule shape plus its latest run (docs/api.md). */
export type ScheduleListItemDto = ScheduleDto & { lastRun: LastRunDto | null };

/**
 * Every schedule, oldest first, each with `lastRun`: its newest non-skipped task of any
 * source (scheduled, manual, retry), or null when it never ran, and its spend `usage`. Manual runs count, so a
 * schedule only ever run with Run now no longer reads "no runs yet".
 */
export async function listSchedulesWithLastRun(db: Db = getDb()): Promise<ScheduleListItemDto[]> {
  const rows = await listSchedules(db);
  // Every schedule's last run in one query (not one per schedule).
  const lastRuns = await lastRunsOfAllSchedules(db);
  const items: ScheduleListItemDto[] = rows.map((s) => Object.assign(serializeSchedule(s), { lastRun: lastRuns.get(s.id) ?? null }));
  // Spend totals for the whole list in one read, one statement per window (budgets/usage.ts).
  return withScheduleUsage(db, items, Date.now());
}
