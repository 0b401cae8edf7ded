import "server-only";
import { and, desc, eq, gte, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { HookIdempotencyKeyRow, ScheduleRow } from "../schema";
import { affected, first, preparedAll, run, tablesOf } from "../sql";

/*
 * Triggers (issue 12 items 1, 6, 7): the fire URL's token hash and idempotency keys,
 * the last successful result for `{{lastResult}}`, the rendered prompt, and the scan
 * that finds upstream successes whose dependent schedules have no task yet.
 */

/** Stores a new fire URL token hash (SHA-256 hex) for a schedule; false when the schedule does not exist. */
export async function setHookTokenHash(db: Db, scheduleId: string, hash: string | null, now: number): Promise<boolean> {
  const { schedules } = tablesOf(db);
  return (
    (await affected(
      db,
      db.update(schedules).set({ hookTokenHash: hash, hookTokenCreatedAt: hash === null ? null : now, updatedAt: now }).where(eq(schedules.id, scheduleId)),
    )) === 1
  );
}

/** The idempotency key row of (schedule, key) created at or after `since` (UTC ms), or undefined. */
export async function selectIdempotencyKey(db: Db, scheduleId: string, key: string, since: number): Promise<HookIdempotencyKeyRow | undefined> {
  const { hookIdempotencyKeys: k } = tablesOf(db);
  return first(db, db.select().from(k).where(and(eq(k.scheduleId, scheduleId), eq(k.key, key), gte(k.createdAt, since))).limit(1));
}

/**
 * Records that `key` created `taskId`. Throws a unique violation when a live row for
 * (schedule, key) exists: the caller's transaction lost a race and answers the first task.
 * An expired row for the same pair is replaced first (one key may be reused after 24 h).
 */
export async function insertIdempotencyKey(db: Db, row: HookIdempotencyKeyRow, expiredBefore: number): Promise<void> {
  const { hookIdempotencyKeys: k } = tablesOf(db);
  await run(db, db.delete(k).where(and(eq(k.scheduleId, row.scheduleId), eq(k.key, row.key), lt(k.createdAt, expiredBefore))));
  await run(db, db.insert(k).values(row));
}

/** Deletes idempotency keys created before `before` (UTC ms); returns how many. */
export async function deleteExpiredIdempotencyKeys(db: Db, before: number): Promise<number> {
  const { hookIdempotencyKeys: k } = tablesOf(db);
  return affected(db, db.delete(k).where(lt(k.createdAt, before)));
}

/** The newest non-null result of a completed task of `scheduleId` other than `exceptTaskId`, or null. */
export async function selectLastSuccessfulResult(db: Db, scheduleId: string, exceptTaskId: string): Promise<string | null> {
  const { tasks } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ result: tasks.result })
      .from(tasks)
      .where(and(eq(tasks.scheduleId, scheduleId), eq(tasks.status, "completed"), isNotNull(tasks.result), sql`${tasks.id} <> ${exceptTaskId}`))
      .orderBy(desc(tasks.finishedAt), desc(tasks.id))
      .limit(1),
  );
  return row?.result ?? null;
}

/** Stores the prompt a task's run sends (variables filled in). */
export async function setRenderedPrompt(db: Db, taskId: string, renderedPrompt: string): Promise<void> {
  const { tasks } = tablesOf(db);
  await run(db, db.update(tasks).set({ renderedPrompt }).where(eq(tasks.id, taskId)));
}

/** An upstream success that a dependent schedule has not run after yet. */
export interface PendingChain {
  /** The dependent (downstream) schedule. */
  schedule: ScheduleRow;
  upstreamTaskId: string;
  /** When the upstream task completed (UTC ms). */
  upstreamFinishedAt: number;
}

/**
 * Up to `limit` (active dependent schedule, completed upstream task) pairs with no root task
 * of that schedule triggered by that task yet, oldest success first. Only successes finished
 * at or after both the dependent's `dependsOnSince` and `since` (UTC ms) count: setting a
 * dependency never replays old history, and the scan stays bounded.
 * `createdAtFloor` (UTC ms) bounds the upstream tasks' createdAt so the scan can use
 * tasks_schedule_status_idx (a task finishes at most one lease after it was created).
 */
export async function selectPendingChains(db: Db, since: number, createdAtFloor: number, limit: number): Promise<PendingChain[]> {
  // Runs on every scheduler pass: built once per connection, named on PostgreSQL (ADR 0026).
  return (await preparedAll(
    db,
    "pending-chains",
    (d) => {
      const { schedules, tasks } = tablesOf(d);
      return d
        .select({ schedule: schedules, upstreamTaskId: tasks.id, upstreamFinishedAt: tasks.finishedAt })
        .from(schedules)
        .innerJoin(tasks, eq(tasks.scheduleId, schedules.dependsOnScheduleId))
        .where(
          and(
            eq(schedules.status, "active"),
            isNotNull(schedules.dependsOnScheduleId),
            eq(tasks.status, "completed"),
            gte(tasks.createdAt, sql.placeholder("floor")),
            gte(tasks.finishedAt, sql.placeholder("since")),
            gte(tasks.finishedAt, schedules.dependsOnSince),
            sql`not exists (select 1 from ${tasks} as chained where chained.schedule_id = ${schedules.id} and chained.triggered_by_task_id = ${tasks.id} and chained.parent_task_id is null)`,
          ),
        )
        .orderBy(tasks.finishedAt, tasks.id, schedules.id)
        .limit(sql.placeholder("limit"));
    },
    { since, floor: createdAtFloor, limit },
  )) as PendingChain[];
}
