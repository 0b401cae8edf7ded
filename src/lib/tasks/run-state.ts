import type { TaskRow } from "../db/schema";

/**
 * The columns a task has before its first claim: no slot, lease, runner, timing,
 * outcome or usage yet. Every place that creates a task (occurrence planning, retries,
 * Run now / rerun, test factories) spreads this, so a new run-state column is reset in
 * one place.
 */
export const UNCLAIMED_RUN_STATE = {
  status: "queued",
  turnCount: 0,
  slotClaimedAt: null,
  leaseExpiresAt: null,
  heartbeatAt: null,
  runnerId: null,
  startedAt: null,
  finishedAt: null,
  failureReason: null,
  error: null,
  result: null,
  sessionId: null,
  skippedReason: null,
  forced: false,
  pressureHeldSince: null,
  inputTokens: null,
  outputTokens: null,
  costUsd: null,
} as const satisfies Partial<TaskRow>;
