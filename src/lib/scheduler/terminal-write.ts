import "server-only";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { recordEvent, type NewEvent } from "../events/log";
import type { TaskOutcome } from "../runtimes/task-executor";
import { recordFiringMetric, type FiringSample } from "./firing-metrics";
import { isManualRooted } from "../tasks/run-state";
import { createRetryIfDue } from "./retries";
import { prepared, selectScheduleById, selectTaskById } from "./statements";
import { applyFiringToSchedule, type StreakResult } from "./streaks";
import { withTransaction } from "../db/client";

/**
 * The guarded terminal write (DESIGN.md invariant 5): only the runner that holds the
 * task (`status='running' AND runner_id IS guard`) can finish it. A reaped, recovered or
 * cancelled task has left `running`, so a late completion callback changes nothing.
 */
const TERMINAL_SQL = `
UPDATE tasks SET
  status = @status, failure_reason = @failureReason, error = @error, result = @result,
  turn_count = MAX(turn_count, @turnCount), session_id = COALESCE(@sessionId, session_id),
  input_tokens = @inputTokens, output_tokens = @outputTokens, cost_usd = @costUsd, finished_at = @now
WHERE id = @taskId AND status = 'running' AND runner_id IS @guardRunnerId`;

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
 * refuses. Synchronous (better-sqlite3), BEGIN IMMEDIATE so two runners never interleave.
 */
export async function finishRunningTask(db: Db, input: FinishInput): Promise<FinishResult> {
  return await withTransaction(db, async (tx) => {
        const task = await selectTaskById(tx, input.taskId);
        if (!task) return { written: false, retryTaskId: null, autoPaused: null };
        const o = input.outcome;
        const info = prepared(tx, TERMINAL_SQL).run({
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
        if (info.changes === 0) return { written: false, retryTaskId: null, autoPaused: null };
        const finished: TaskRow = { ...task, turnCount: Math.max(task.turnCount, o.turnCount) };
        const retry = await createRetryIfDue(tx, finished, o, input.now, input.retryBackoffMs);
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
