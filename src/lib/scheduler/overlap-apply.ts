import "server-only";
import type { Db } from "../db/client";
import { selectActiveTasksOfSchedule, skipQueuedByOverlap } from "../db/queries/planning";
import { selectTaskById } from "../db/queries/tasks-core";
import type { OverlapDecision } from "./overlap-policy";
import { firingSampleFor } from "./running-tasks";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";

/** A schedule's unfinished tasks as the overlap policy sees them (running ones with their runner, for the guarded cancel). */
export interface ScheduleActiveTasks {
  queued: string[];
  running: { id: string; runnerId: string | null }[];
}

/** A schedule's queued and running tasks (tasks_schedule_status_idx). */
export async function activeTasksForOverlap(db: Db, scheduleId: string): Promise<ScheduleActiveTasks> {
  const rows = await selectActiveTasksOfSchedule(db, scheduleId);
  return {
    queued: rows.filter((r) => r.status === "queued").map((r) => r.id),
    running: rows.filter((r) => r.status === "running"),
  };
}

/**
 * Carries out the side effects of an overlap decision (decideOverlap, the one rule) for a
 * new task of a schedule — a cron occurrence (occurrence-planner.ts) or a chained run
 * (triggers/chaining.ts): queued tasks in `decision.skipQueued` become `skipped`
 * (`cancelled_by_overlap`), running ones in `decision.cancelRunning` are finished as
 * `cancelled` through the guarded terminal write (ADR 0002; a nested transaction = a
 * savepoint on `tx`). Call inside the transaction that holds the schedule's planning lock.
 * Returns the ids of running tasks actually cancelled (the caller aborts their processes).
 * @param now UTC ms. @param retryBackoffMs the retry delays (ms) the terminal write uses.
 */
export async function applyOverlapDecision(
  tx: Db,
  decision: OverlapDecision,
  running: ScheduleActiveTasks["running"],
  now: number,
  retryBackoffMs: readonly number[],
  reason = "Cancelled by a newer occurrence (overlap policy cancel_other)",
): Promise<string[]> {
  await skipQueuedByOverlap(tx, decision.skipQueued, now);
  const cancelled: string[] = [];
  for (const r of running) {
    if (!decision.cancelRunning.includes(r.id)) continue;
    const row = (await selectTaskById(tx, r.id))!;
    const outcome = outcomeWithoutRun(row, "cancelled", "aborted", reason);
    const res = await finishRunningTask(tx, { taskId: r.id, guardRunnerId: r.runnerId, outcome, now, sample: await firingSampleFor(r.id, () => 0), retryBackoffMs });
    if (res.written) cancelled.push(r.id);
  }
  return cancelled;
}
