import "server-only";
import { randomUUID } from "node:crypto";
import { RETRYABLE_FAILURE_REASONS } from "../db/constants";
import type { TaskRow } from "../db/schema";
import { insertTask } from "../db/queries/tasks-core";
import { recordEvent, type DbOrTx } from "../events/log";
import type { TaskOutcome } from "../runtimes/task-executor";
import { env } from "../env";
import { inheritedTrigger, UNCLAIMED_RUN_STATE } from "../tasks/run-state";

/**
 * Retry backoff per attempt in ms: `AGENTCRON_RETRY_BACKOFF_SEC` ("60,300,900", env.ts),
 * default 1 m / 5 m / 15 m (tuning.ts DEFAULT_RETRY_BACKOFF_MS; DESIGN.md "Policies" → retries).
 */
export function retryBackoffFromEnv(): readonly number[] {
  return env().AGENTCRON_RETRY_BACKOFF_SEC;
}

/** Backoff before attempt `failedAttempt + 1`, ms (the last value repeats). */
export function backoffFor(failedAttempt: number, backoffMs: readonly number[]): number {
  return backoffMs[Math.min(Math.max(failedAttempt, 1), backoffMs.length) - 1] ?? 0;
}

/**
 * Creates the retry of a failed task inside the terminal write's transaction when the
 * failure is infrastructure-shaped (`lease_expired`, `runtime_recovery`, `timeout`,
 * `rate_limited`, `network`) and `attempt < maxAttempts`. The child has `attempt + 1`,
 * `parentTaskId`, the parent's occurrence (`plannedAt`, outside the root unique index),
 * `notBefore = now + backoff`, the parent's session id so the runtime can resume it, and
 * the root's `rootSourceType` (a Run now's retry stays manual-rooted).
 * Returns the child, or null when no retry is due.
 * @param now UTC ms.
 */
export async function createRetryIfDue(tx: DbOrTx, parent: TaskRow, outcome: TaskOutcome, now: number, backoffMs: readonly number[]): Promise<TaskRow | null> {
  if (outcome.status !== "failed" || !outcome.failureReason) return null;
  if (!RETRYABLE_FAILURE_REASONS.includes(outcome.failureReason)) return null;
  if (parent.attempt >= parent.maxAttempts) return null;
  const notBefore = now + backoffFor(parent.attempt, backoffMs);
  const child: TaskRow = {
    ...parent,
    ...UNCLAIMED_RUN_STATE,
    ...inheritedTrigger(parent),
    id: randomUUID(),
    status: "queued",
    sourceType: "retry",
    attempt: parent.attempt + 1,
    parentTaskId: parent.id,
    notBefore,
    sessionId: outcome.sessionId ?? parent.sessionId,
    backfill: parent.backfill,
    createdAt: now,
  };
  await insertTask(tx, child);
  await recordEvent(tx, {
    kind: "task_retried",
    scheduleId: parent.scheduleId,
    taskId: child.id,
    message: `Attempt ${child.attempt} of ${parent.maxAttempts} after ${outcome.failureReason}, not before ${new Date(notBefore).toISOString()}`,
    data: { parentTaskId: parent.id, attempt: child.attempt, failureReason: outcome.failureReason, notBefore },
    createdAt: now,
  });
  return child;
}
