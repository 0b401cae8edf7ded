import "server-only";
import { and, desc, eq, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import type { TaskStatus } from "../constants";
import type { TaskRow } from "../schema";
import { affected, first, run, tablesOf } from "../sql";

/** A history page's position: the (createdAt, id) of the last row of the previous page. */
export interface TaskCursor {
  /** UTC ms. */
  createdAt: number;
  id: string;
}

/**
 * Up to `limit` tasks newest first (createdAt, then id), optionally of one status and/or
 * schedule, strictly older than `before`. The cursor is the row-value comparison
 * `(created_at, id) < (?, ?)`: SQLite and PostgreSQL both seek the (created_at, id) index
 * (or (schedule_id, created_at, id) / (status, created_at, id)) to it; the equivalent
 * `a < x OR (a = x AND b < y)` makes SQLite walk the index from the newest row instead
 * (92 ms vs 0.4 ms at row 500,000 of 1M, issue 15; test/history-plans.test.ts).
 */
export async function selectTaskPage(
  db: Db,
  q: { status?: TaskStatus; scheduleId?: string; before?: TaskCursor; limit: number },
): Promise<TaskRow[]> {
  const { tasks } = tablesOf(db);
  const conditions: (SQL | undefined)[] = [];
  if (q.status) conditions.push(eq(tasks.status, q.status));
  if (q.scheduleId) conditions.push(eq(tasks.scheduleId, q.scheduleId));
  if (q.before) conditions.push(sql`(${tasks.createdAt}, ${tasks.id}) < (${q.before.createdAt}, ${q.before.id})`);
  return run(
    db,
    db
      .select()
      .from(tasks)
      .where(and(...conditions))
      .orderBy(desc(tasks.createdAt), desc(tasks.id))
      .limit(q.limit),
  );
}

/** True when a schedule row, a task or an event still carries this schedule id (history survives deletion). */
export async function scheduleIdHasHistory(db: Db, scheduleId: string): Promise<boolean> {
  const { schedules, tasks, events } = tablesOf(db);
  return (
    !!(await first(db, db.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, scheduleId)).limit(1))) ||
    !!(await first(db, db.select({ id: tasks.id }).from(tasks).where(eq(tasks.scheduleId, scheduleId)).limit(1))) ||
    !!(await first(db, db.select({ id: events.id }).from(events).where(eq(events.scheduleId, scheduleId)).limit(1)))
  );
}

/** A schedule's last run as the schedules list shows it (timestamps UTC ms). */
export type LastRunRow = Pick<TaskRow, "id" | "status" | "sourceType" | "startedAt" | "finishedAt">;

/**
 * The newest task of a schedule that is not a skipped occurrence (any source), newest by
 * createdAt then id; undefined when it never ran. Walks tasks_schedule_idx backwards, so it
 * reads one row past any skipped ones.
 */
export async function selectLastRun(db: Db, scheduleId: string): Promise<LastRunRow | undefined> {
  const { tasks } = tablesOf(db);
  return first(
    db,
    db
      .select({ id: tasks.id, status: tasks.status, sourceType: tasks.sourceType, startedAt: tasks.startedAt, finishedAt: tasks.finishedAt })
      .from(tasks)
      .where(and(eq(tasks.scheduleId, scheduleId), ne(tasks.status, "skipped")))
      .orderBy(desc(tasks.createdAt), desc(tasks.id))
      .limit(1),
  );
}

/**
 * Every schedule's last run (selectLastRun's rule: newest non-skipped task by createdAt then
 * id) in ONE statement — the schedules list used to ask once per schedule. A correlated
 * subquery per schedule row walks tasks_schedule_idx backwards (one index seek each), the
 * same plan on SQLite and PostgreSQL. Schedules that never ran have no row.
 */
export async function selectLastRunsOfAllSchedules(db: Db): Promise<(LastRunRow & { scheduleId: string })[]> {
  const { schedules, tasks } = tablesOf(db);
  const newest = sql`(SELECT "t2"."id" FROM "tasks" "t2" WHERE "t2"."schedule_id" = ${schedules.id} AND "t2"."status" <> 'skipped' ORDER BY "t2"."created_at" DESC, "t2"."id" DESC LIMIT 1)`;
  return run(
    db,
    db
      .select({ scheduleId: schedules.id, id: tasks.id, status: tasks.status, sourceType: tasks.sourceType, startedAt: tasks.startedAt, finishedAt: tasks.finishedAt })
      .from(schedules)
      .innerJoin(tasks, eq(tasks.id, newest)),
  );
}

/**
 * Queued tasks ahead of `t` in the drain order (drain.ts: plannedAt ascending with manual
 * runs, whose plannedAt is null, first; then createdAt).
 */
export async function countQueuedAhead(db: Db, t: Pick<TaskRow, "id" | "plannedAt" | "createdAt">): Promise<number> {
  const { tasks } = tablesOf(db);
  const p = t.plannedAt;
  const row = await first(
    db,
    db
      .select({ n: sql<number>`count(*)` })
      .from(tasks)
      .where(
        and(
          eq(tasks.status, "queued"),
          ne(tasks.id, t.id),
          p == null
            ? and(isNull(tasks.plannedAt), lt(tasks.createdAt, t.createdAt))
            : or(isNull(tasks.plannedAt), lt(tasks.plannedAt, p), and(eq(tasks.plannedAt, p), lt(tasks.createdAt, t.createdAt))),
        ),
      )
      .limit(1),
  );
  return Number(row?.n ?? 0);
}

/**
 * Cancels a task that is still queued, guarded on `status = 'queued'` (a claim meanwhile
 * wins): `cancelled`, failure reason `aborted`. True when this call wrote it.
 * @param now UTC ms (finishedAt).
 */
export async function cancelQueuedTask(db: Db, taskId: string, now: number): Promise<boolean> {
  const { tasks } = tablesOf(db);
  const n = await affected(
    db,
    db
      .update(tasks)
      .set({ status: "cancelled", failureReason: "aborted", error: "Cancelled before it started", finishedAt: now })
      .where(and(eq(tasks.id, taskId), eq(tasks.status, "queued"))),
  );
  return n === 1;
}
