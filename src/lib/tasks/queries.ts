import "server-only";
import type { TaskStatus } from "../db/constants";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { selectTaskById } from "../db/queries/tasks-core";
import { countQueuedAhead, scheduleIdHasHistory, selectLastRun, selectLastRunsOfAllSchedules, selectTaskPage, type LastRunRow } from "../db/queries/tasks";
import { selectTaskEventsAfter } from "../db/queries/task-events";
import { invalidRequest, notFound } from "../errors";
import type { TaskDto, TaskEventDto } from "../api-types";
import { serializeTask, serializeTaskEvent } from "./serialize";

export interface TaskPage {
  tasks: TaskDto[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(t: TaskRow): string {
  return Buffer.from(`${t.createdAt}:${t.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [ms, ...rest] = Buffer.from(cursor, "base64url").toString("utf8").split(":");
  const createdAt = Number(ms);
  const id = rest.join(":");
  if (!Number.isInteger(createdAt) || !id) throw invalidRequest({ before: "is not a cursor from a previous page (nextCursor)" });
  return { createdAt, id };
}

/**
 * Tasks newest first (createdAt, then id), optionally by status and/or schedule, paged
 * with an opaque `before` cursor (API.md GET /api/tasks). Skipped occurrences included.
 * @throws AppError 400 `invalid_request` (`fields.before`) on a malformed cursor.
 */
export async function listTasks(db: Db, q: { status?: TaskStatus; scheduleId?: string; limit: number; before?: string }): Promise<TaskPage> {
  // One row more than the page tells whether an older page exists (the row-value cursor: selectTaskPage).
  const rows = await selectTaskPage(db, {
    status: q.status,
    scheduleId: q.scheduleId,
    before: q.before ? decodeCursor(q.before) : undefined,
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  return { tasks: page.map(serializeTask), nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null };
}

/**
 * One task row.
 * @throws AppError 404 `task_not_found`.
 */
export async function getTask(db: Db, id: string): Promise<TaskRow> {
  const row = await selectTaskById(db, id);
  if (!row) throw notFound("task", id);
  return row;
}

/**
 * A task's agent events in order, after event id `afterId` when given (at most
 * TASK_EVENTS_PAGE per call). Shared by GET /api/tasks/:id/events and its SSE variant.
 * @throws AppError 404 `task_not_found`.
 */
export async function listTaskEvents(db: Db, taskId: string, afterId?: number): Promise<TaskEventDto[]> {
  await getTask(db, taskId);
  return taskEventsAfter(db, taskId, afterId ?? 0);
}

/** Most events returned by one read. */
export const TASK_EVENTS_PAGE = 5000;

/** Events of a task (known to exist) with id > `afterId`, in order, at most TASK_EVENTS_PAGE; no task lookup (the SSE pump). */
export async function taskEventsAfter(db: Db, taskId: string, afterId: number): Promise<TaskEventDto[]> {
  return (await selectTaskEventsAfter(db, taskId, afterId, TASK_EVENTS_PAGE)).map(serializeTaskEvent);
}

/**
 * Asserts a schedule id has something to show: the schedule itself or, once deleted, the
 * tasks and events it left in history (API.md: "renames don't hide history").
 * @throws AppError 404 `schedule_not_found`.
 */
export async function assertScheduleHasHistory(db: Db, scheduleId: string): Promise<void> {
  if (!(await scheduleIdHasHistory(db, scheduleId))) throw notFound("schedule", scheduleId);
}

/** The latest run of a schedule, as the schedules list shows it (docs/api.md GET /api/schedules `lastRun`). */
export interface LastRunDto {
  taskId: string;
  status: TaskStatus;
  /** scheduled, manual (Run now, Rerun) or retry: every run counts, not only scheduled firings. */
  sourceType: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * The newest task of a schedule that is not a skipped occurrence (any source: scheduled,
 * manual or retry), newest by createdAt then id; null when it never ran. Walks
 * tasks_schedule_idx backwards, so it reads one row past any skipped ones.
 */
export async function lastRunOfSchedule(db: Db, scheduleId: string): Promise<LastRunDto | null> {
  const row = await selectLastRun(db, scheduleId);
  return row ? toLastRunDto(row) : null;
}

/** Every schedule's last run by schedule id (one query; schedules that never ran are absent). Same rule as lastRunOfSchedule. */
export async function lastRunsOfAllSchedules(db: Db): Promise<Map<string, LastRunDto>> {
  return new Map((await selectLastRunsOfAllSchedules(db)).map((row) => [row.scheduleId, toLastRunDto(row)]));
}

function toLastRunDto(row: LastRunRow): LastRunDto {
  const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
  return { taskId: row.id, status: row.status, sourceType: row.sourceType, startedAt: iso(row.startedAt), finishedAt: iso(row.finishedAt) };
}

/**
 * 1-based place of a queued task in the drain order (drain.ts: plannedAt ascending with
 * manual runs, whose plannedAt is null, first; then createdAt), counting every queued task.
 */
export async function queuePosition(db: Db, t: Pick<TaskRow, "id" | "plannedAt" | "createdAt">): Promise<number> {
  return (await countQueuedAhead(db, t)) + 1;
}
