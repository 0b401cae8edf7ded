import "server-only";
/**
 * Calendar controls' statements (issue 12 items 2, 3): the schedule row locked for a
 * skip-next, the skip-next write, and pause-until's due rows, conditional resume and the
 * loop's wake read. Times are UTC ms. Both dialects.
 */
import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { ScheduleRow } from "../schema";
import { affected, first, preparedAll, run, tablesOf } from "../sql";

/**
 * The schedule row read inside `tx` for a change that must not interleave with planning
 * (skip-next). PostgreSQL: `FOR UPDATE` — blocking, unlike planning's SKIP LOCKED (ADR
 * 0013): a person's request waits the few ms a planner holds the row, then reads what it
 * committed. SQLite: `BEGIN IMMEDIATE` already serializes writers. Undefined when absent.
 */
export async function selectScheduleLocked(tx: Db, scheduleId: string): Promise<ScheduleRow | undefined> {
  const { schedules } = tablesOf(tx);
  const query = tx.select().from(schedules).where(eq(schedules.id, scheduleId)).limit(1);
  if (tx.$dialect !== "pg") return first(tx, query);
  // The handle is drizzle's pg database typed as SQLite's (client.ts): its select builder has `.for()`.
  return first(tx, (query as unknown as { for(strength: "update"): PromiseLike<ScheduleRow[]> }).for("update"));
}

/** Writes a skip-next: the schedule's watermark, next fire and status. */
export async function updateScheduleAfterSkip(
  tx: Db,
  scheduleId: string,
  patch: { lastPlannedAt: number; nextFireAt: number | null; status: ScheduleRow["status"]; updatedAt: number },
): Promise<void> {
  const { schedules } = tablesOf(tx);
  await run(tx, tx.update(schedules).set(patch).where(eq(schedules.id, scheduleId)));
}

/** Paused schedules whose `pausedUntil` has come (≤ now), earliest first, at most `limit`. Every pass reads it: prepared once per SQLite connection. */
export async function selectSchedulesToResume(db: Db, now: number, limit: number): Promise<ScheduleRow[]> {
  return (await preparedAll(
    db,
    "calendar-to-resume",
    (d) => {
      const { schedules } = tablesOf(d);
      return d
        .select()
        .from(schedules)
        .where(and(eq(schedules.status, "paused"), isNotNull(schedules.pausedUntil), lte(schedules.pausedUntil, sql.placeholder("now"))))
        .orderBy(asc(schedules.pausedUntil), asc(schedules.id))
        .limit(sql.placeholder("limit"));
    },
    { now, limit },
  )) as ScheduleRow[];
}

/**
 * Resumes one schedule paused until `seenPausedUntil`, if it still is (another runner or a
 * person may have resumed or re-paused it): active, reason and pausedUntil cleared, streaks
 * reset, `nextFireAt`/`lastPlannedAt` as given. Returns rows changed (0 or 1).
 */
export async function resumePausedSchedule(
  db: Db,
  scheduleId: string,
  seenPausedUntil: number,
  patch: { nextFireAt: number | null; lastPlannedAt: number; updatedAt: number },
): Promise<number> {
  const { schedules } = tablesOf(db);
  return affected(
    db,
    db
      .update(schedules)
      .set({ ...patch, status: "active", pausedReason: null, pausedUntil: null, failureStreak: 0, turnBudgetBreachStreak: 0 })
      .where(and(eq(schedules.id, scheduleId), eq(schedules.status, "paused"), eq(schedules.pausedUntil, seenPausedUntil))),
  );
}

