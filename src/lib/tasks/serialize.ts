import type { TaskDto, TaskEventDto } from "../api-types";
import type { TaskEventRow, TaskRow } from "../db/schema";
import { toIso } from "../time/clock";

/** API shape of a task (API.md `Task`): ISO timestamps, internal columns (prompt, lease bookkeeping) left out. */
export function serializeTask(t: TaskRow): TaskDto {
  return {
    id: t.id,
    scheduleId: t.scheduleId,
    runtimeId: t.runtimeId,
    title: t.title,
    status: t.status,
    sourceType: t.sourceType,
    plannedAt: toIso(t.plannedAt),
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    parentTaskId: t.parentTaskId,
    maxTurns: t.maxTurns,
    turnCount: t.turnCount,
    slotClaimedAt: toIso(t.slotClaimedAt),
    leaseExpiresAt: toIso(t.leaseExpiresAt),
    startedAt: toIso(t.startedAt),
    finishedAt: toIso(t.finishedAt),
    failureReason: t.failureReason,
    error: t.error,
    result: t.result,
    sessionId: t.sessionId,
    skippedReason: t.skippedReason,
    forced: t.forced,
    backfill: t.backfill,
    notBefore: toIso(t.notBefore),
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    costUsd: t.costUsd,
    triggerKind: t.triggerKind,
    triggeredByTaskId: t.triggeredByTaskId,
    createdAt: toIso(t.createdAt)!,
  };
}

/** API shape of one task_events row. */
export function serializeTaskEvent(e: TaskEventRow): TaskEventDto {
  return { id: e.id, taskId: e.taskId, type: e.type, payload: e.payload, createdAt: toIso(e.createdAt)! };
}
