import "server-only";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { recordEvent, type NewEvent } from "../events/log";
import type { TaskOutcome } from "../runtimes/task-executor";
import { recordFiringMetric, type FiringSample } from "./firing-metrics";
import { isManualRooted } from "../tasks/run-state";
import { createRetryIfDue } from "./retries";
import { selectScheduleById, selectTaskById } from "../db/queries/tasks-core";
import { writeTerminal } from "../db/queries/task-runs";
import { applyFiringToSchedule, type StreakResult } from "./streaks";
import { withTransaction } from "../db/client";
import { notifyTaskFinished } from "../notifications/enqueue";

export interface FinishInput {
  taskId: string;
  /** The runner that must still hold the task (null only for rows without a runner). */
  guardRunnerId: string | null;
  outcome: TaskOutcome;
  /** UTC ms. */
  now: number;
  sample: FiringSample;
  retryBackoffMs: readonly number[];
  /** An audit event recorded in the same transaction when the write happens (reaper, recovery). */
  event?: (retryTaskId: string | null) => Omit<NewEvent, "createdAt">;
}

export interface FinishResult {
  /** False when the guard refused the write (the task was no longer ours). */
  written: boolean;
  retryTaskId: string | null;
  autoPaused: StreakResult["autoPaused"];
}

/**
 * Finishes a running task in ONE transaction: terminal status with failureReason,
 * result, tokens, cost, turnCount and finishedAt; the retry child (retries.ts); the
 * schedule's streaks and turn averages (streaks.ts, scheduled and retry tasks only);
 * and the firing-metrics row (firing-metrics.ts). Nothing is written when the guard
 * refuses. The write is guarded (DESIGN.md invariant 5: only the runner that holds the task
 * — `status='running'` and its runnerId — can finish it; a reaped, recovered or cancelled
 * task has left `running`, so a late completion changes nothing; queries/task-runs.ts
 * writeTerminal). SQLite: BEGIN IMMEDIATE; PostgreSQL: the guarded UPDATE row-locks the
 * task, so a second writer waits and then finds it no longer `running`.
 */
export async function finishRunningTask(db: Db, input: FinishInput): Promise<FinishResult> {
  return await withTransaction(db, async (tx) => {
        const task = await selectTaskById(tx, input.taskId);
        if (!task) return { written: false, retryTaskId: null, autoPaused: null };
        const o = input.outcome;
        const written = await writeTerminal(tx, {
          taskId: input.taskId,
          guardRunnerId: input.guardRunnerId,
          status: o.status,
          failureReason: o.failureReason,
          error: o.error,
          result: o.result,
          turnCount: o.turnCount,
          sessionId: o.sessionId,
          inputTokens: o.inputTokens,
          outputTokens: o.outputTokens,
          costUsd: o.costUsd,
          now: input.now,
        });
        if (!written) return { written: false, retryTaskId: null, autoPaused: null };
        const finished: TaskRow = { ...task, turnCount: Math.max(task.turnCount, o.turnCount) };
        const retry = await createRetryIfDue(tx, finished, o, input.now, input.retryBackoffMs);
        // Notifications (issue 11): task_failed once per streak at a final failure, task_recovered, task_succeeded.
        await notifyTaskFinished(tx, { task: finished, status: o.status, failureReason: o.failureReason, error: o.error, result: o.result, costUsd: o.costUsd, retried: retry !== null, now: input.now });
        let autoPaused: StreakResult["autoPaused"] = null;
        if (task.scheduleId && !isManualRooted(task)) {
          const schedule = await selectScheduleById(tx, task.scheduleId);
          if (schedule) autoPaused = (await applyFiringToSchedule(tx, schedule, finished, o, retry !== null, input.now)).autoPaused;
        }
        await recordFiringMetric(tx, finished, o, input.now, input.sample);
        if (input.event) await recordEvent(tx, { ...input.event(retry?.id ?? null), createdAt: input.now });
        return { written: true, retryTaskId: retry?.id ?? null, autoPaused };
      });
}

/**
 * The outcome written for a task whose run never reported one (lease expiry, recovery,
 * cancel). Turns, session, tokens and cost are what the executor persisted on the row as
 * they streamed (`task` must be the row as read now), so they are not lost.
 */
export function outcomeWithoutRun(task: TaskRow, status: TaskOutcome["status"], failureReason: TaskOutcome["failureReason"], error: string): TaskOutcome {
  return {
    status,
    failureReason,
    error,
    result: null,
    turnCount: task.turnCount,
    sessionId: task.sessionId,
    inputTokens: task.inputTokens,
    outputTokens: task.outputTokens,
    costUsd: task.costUsd,
  };
}
