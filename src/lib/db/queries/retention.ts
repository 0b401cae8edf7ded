import "server-only";
/**
 * Retention statements (issue 11 item 4, src/lib/retention/): small keyset-paged reads of
 * the oldest rows and deletes by id list, so each statement touches at most one batch and
 * the caller can bound how long it holds the database. Both dialects. Times are UTC ms.
 */
import { and, asc, desc, eq, gt, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import { TERMINAL_TASK_STATUSES } from "../constants";
import { affected, run, tablesOf } from "../sql";

/** A task row as retention sees it. */
export interface PruneTaskCandidate {
  id: string;
  scheduleId: string | null;
  status: string;
  createdAt: number;
}

/**
 * The next `limit` tasks created before `before`, oldest first, after the keyset cursor
 * (`afterCreatedAt`, `afterId`; null = from the start). Uses tasks_created_idx.
 */
export async function selectOldTasks(
  db: Db,
  before: number,
  after: { createdAt: number; id: string } | null,
  limit: number,
): Promise<PruneTaskCandidate[]> {
  const { tasks } = tablesOf(db);
  return taskPage(db, lt(tasks.createdAt, before), after, limit);
}

/** Retention's keyset page of tasks: `bound` rows after the (createdAt, id) cursor, oldest first, at most `limit`. */
function taskPage(db: Db, bound: SQL | undefined, after: { createdAt: number; id: string } | null, limit: number): Promise<PruneTaskCandidate[]> {
  const { tasks } = tablesOf(db);
  const cursor = after ? sql`(${tasks.createdAt}, ${tasks.id}) > (${after.createdAt}, ${after.id})` : sql`1 = 1`;
  return run(
    db,
    db
      .select({ id: tasks.id, scheduleId: tasks.scheduleId, status: tasks.status, createdAt: tasks.createdAt })
      .from(tasks)
      .where(and(bound, cursor))
      .orderBy(asc(tasks.createdAt), asc(tasks.id))
      .limit(limit),
  );
}

/**
 * The (createdAt, id) of a schedule's `keep`-th newest task, or null when it has fewer:
 * tasks at or after it are the schedule's last `keep` runs. Uses tasks_schedule_idx.
 */
export async function selectKeepFloor(db: Db, scheduleId: string, keep: number): Promise<{ createdAt: number; id: string } | null> {
  const { tasks } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ createdAt: tasks.createdAt, id: tasks.id })
      .from(tasks)
      .where(eq(tasks.scheduleId, scheduleId))
      .orderBy(desc(tasks.createdAt), desc(tasks.id))
      .limit(1)
      .offset(Math.max(0, keep - 1)),
  );
  return rows[0] ?? null;
}

/**
 * Schedules holding more than `max` tasks (any status), with their count, from the
 * maintained per-schedule counters (schedule_task_counts: one grouped read of a small table,
 * not a count of tasks). Retention's per-schedule cap (ADR 0025) starts from these.
 */
export async function selectSchedulesOverTaskCap(db: Db, max: number): Promise<{ scheduleId: string; tasks: number }[]> {
  const { scheduleTaskCounts } = tablesOf(db);
  const total = sql<number>`sum(${scheduleTaskCounts.n})`;
  const got = await run(
    db,
    db
      .select({ scheduleId: scheduleTaskCounts.scheduleId, tasks: total })
      .from(scheduleTaskCounts)
      .groupBy(scheduleTaskCounts.scheduleId)
      .having(sql`sum(${scheduleTaskCounts.n}) > ${max}`),
  );
  return got.map((r) => ({ scheduleId: r.scheduleId, tasks: Number(r.tasks) }));
}

/**
 * The next `limit` tasks of one schedule older than `floor` (by (createdAt, id), exclusive),
 * oldest first, after the keyset cursor (null = from the start). Uses tasks_schedule_idx.
 */
export async function selectScheduleTasksBelow(
  db: Db,
  scheduleId: string,
  floor: { createdAt: number; id: string },
  after: { createdAt: number; id: string } | null,
  limit: number,
): Promise<PruneTaskCandidate[]> {
  const { tasks } = tablesOf(db);
  return taskPage(db, and(eq(tasks.scheduleId, scheduleId), sql`(${tasks.createdAt}, ${tasks.id}) < (${floor.createdAt}, ${floor.id})`), after, limit);
}

/**
 * Task ids an open issue refers to: the task behind each `auto_paused` event of a schedule
 * that is still paused (the run that explains the pause). Few rows; uses events_schedule_idx.
 */
export async function selectTasksBehindOpenPauses(db: Db): Promise<string[]> {
  const { events, schedules } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ taskId: events.taskId })
      .from(events)
      .innerJoin(schedules, eq(schedules.id, events.scheduleId))
      .where(and(eq(schedules.status, "paused"), eq(events.kind, "auto_paused"))),
  );
  return rows.map((r) => r.taskId).filter((id): id is string => id != null);
}

/** Ids of schedules that are paused now (their auto_paused events are kept). */
export async function selectPausedScheduleIds(db: Db): Promise<string[]> {
  const { schedules } = tablesOf(db);
  return (await run(db, db.select({ id: schedules.id }).from(schedules).where(eq(schedules.status, "paused")))).map((r) => r.id);
}

/**
 * Deletes the given tasks when they are finished (a re-check: a task is never pruned while
 * queued or running). Their task_events go with them (ON DELETE CASCADE); the maintained
 * counters follow by trigger. One statement. Returns the number deleted.
 */
export async function deleteFinishedTasks(db: Db, ids: readonly string[]): Promise<number> {
  if (!ids.length) return 0;
  const { tasks } = tablesOf(db);
  return affected(db, db.delete(tasks).where(and(inArray(tasks.id, [...ids]), inArray(tasks.status, [...TERMINAL_TASK_STATUSES]))));
}

/** A task event as retention sees it, with its task's schedule and age. */
export interface PruneTaskEventCandidate {
  id: number;
  createdAt: number;
  taskId: string;
  taskStatus: string;
  scheduleId: string | null;
  taskCreatedAt: number;
}

/** The next `limit` task events after id `afterId`, oldest first, with their task's schedule (primary key order). */
export async function selectOldTaskEvents(db: Db, afterId: number, limit: number): Promise<PruneTaskEventCandidate[]> {
  const { taskEvents, tasks } = tablesOf(db);
  return run(
    db,
    db
      .select({
        id: taskEvents.id,
        createdAt: taskEvents.createdAt,
        taskId: taskEvents.taskId,
        taskStatus: tasks.status,
        scheduleId: tasks.scheduleId,
        taskCreatedAt: tasks.createdAt,
      })
      .from(taskEvents)
      .innerJoin(tasks, eq(tasks.id, taskEvents.taskId))
      .where(gt(taskEvents.id, afterId))
      .orderBy(asc(taskEvents.id))
      .limit(limit),
  );
}

/** Deletes task events by id. Returns the number deleted. */
export async function deleteTaskEventsByIds(db: Db, ids: readonly number[]): Promise<number> {
  if (!ids.length) return 0;
  const { taskEvents } = tablesOf(db);
  return affected(db, db.delete(taskEvents).where(inArray(taskEvents.id, [...ids])));
}

/** An activity-log event as retention sees it. */
export interface PruneEventCandidate {
  id: number;
  kind: string;
  scheduleId: string | null;
  createdAt: number;
}

/** The next `limit` events after id `afterId`, oldest first. */
export async function selectOldEvents(db: Db, afterId: number, limit: number): Promise<PruneEventCandidate[]> {
  const { events } = tablesOf(db);
  return run(
    db,
    db
      .select({ id: events.id, kind: events.kind, scheduleId: events.scheduleId, createdAt: events.createdAt })
      .from(events)
      .where(gt(events.id, afterId))
      .orderBy(asc(events.id))
      .limit(limit),
  );
}

/** Deletes activity-log events by id. Returns the number deleted. */
export async function deleteEventsByIds(db: Db, ids: readonly number[]): Promise<number> {
  if (!ids.length) return 0;
  const { events } = tablesOf(db);
  return affected(db, db.delete(events).where(inArray(events.id, [...ids])));
}

/** Up to `limit` message ids of conversations last active before `before`. */
export async function selectStaleChatMessageIds(db: Db, before: number, limit: number): Promise<string[]> {
  const { chatMessages, chatConversations } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ id: chatMessages.id })
      .from(chatMessages)
      .innerJoin(chatConversations, eq(chatConversations.id, chatMessages.conversationId))
      .where(lt(chatConversations.updatedAt, before))
      .limit(limit),
  );
  return rows.map((r) => r.id);
}

/** Deletes chat messages by id (never one that is still streaming). Returns the number deleted. */
export async function deleteChatMessagesByIds(db: Db, ids: readonly string[]): Promise<number> {
  if (!ids.length) return 0;
  const { chatMessages } = tablesOf(db);
  return affected(db, db.delete(chatMessages).where(and(inArray(chatMessages.id, [...ids]), sql`${chatMessages.status} <> 'streaming'`)));
}

/** Deletes up to `limit` conversations last active before `before` that have no messages left. Returns the number deleted. */
export async function deleteEmptyStaleConversations(db: Db, before: number, limit: number): Promise<number> {
  const { chatMessages, chatConversations } = tablesOf(db);
  const ids = (
    await run(
      db,
      db
        .select({ id: chatConversations.id })
        .from(chatConversations)
        .where(
          and(
            lt(chatConversations.updatedAt, before),
            sql`NOT EXISTS (SELECT 1 FROM ${chatMessages} WHERE ${chatMessages.conversationId} = ${chatConversations.id})`,
          ),
        )
        .limit(limit),
    )
  ).map((r) => r.id);
  if (!ids.length) return 0;
  return affected(db, db.delete(chatConversations).where(inArray(chatConversations.id, ids)));
}
