import { SCHEDULE_DEFAULTS } from "../schedules/defaults";
import type { ScheduleRow, TaskRow } from "../db/schema";

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
  agentProcessGroups: null,
  agentHost: null,
  // Triggers (issue 12): rendered when the run starts; a new task has no trigger unless its
  // creator says so (fire URL, chaining), and a retry takes its parent's (inheritedTrigger).
  renderedPrompt: null,
  triggerKind: null,
  triggerBody: null,
  triggeredByTaskId: null,
  /** Only backfill.ts sets it (true); a retry copies its parent's (retries.ts). */
  backfill: false,
} as const satisfies Partial<TaskRow>;

/** What a retry keeps of its parent's trigger: the kind, the fire URL body (`{{trigger.body}}`) and the upstream task. */
export function inheritedTrigger(parent: Pick<TaskRow, "triggerKind" | "triggerBody" | "triggeredByTaskId">): Pick<TaskRow, "triggerKind" | "triggerBody" | "triggeredByTaskId"> {
  return { triggerKind: parent.triggerKind, triggerBody: parent.triggerBody, triggeredByTaskId: parent.triggeredByTaskId };
}

/**
 * True when the task's occurrence was started by a person (Run now / rerun), including
 * that run's retries (`rootSourceType`, inherited by retries.ts). Such a task behaves like
 * a manual run: never held by chat pressure, not skipped when its schedule is paused, and
 * not counted in the schedule's streaks or turn average (docs/design.md "Policies").
 */
export function isManualRooted(task: Pick<TaskRow, "rootSourceType">): boolean {
  return task.rootSourceType === "manual";
}

/** What a new task copies from where it comes from: its schedule, or the task it reruns. */
export interface TaskTemplate {
  scheduleId: string | null;
  runtimeId: string | null;
  /** Concurrency group whose cap the task counts against (issue 12 item 4); null = none. */
  concurrencyGroup: string | null;
  title: string;
  prompt: string;
  maxTurns: number;
  maxRunDurationSec: number | null;
  maxAttempts: number;
}

/**
 * A schedule's task template: prompt, runtime and budgets copied at planning / Run now
 * (the turn budget falls back to SCHEDULE_DEFAULTS.maxTurns; a null lease length means the
 * global default at claim time).
 */
export function taskTemplateFromSchedule(s: ScheduleRow): TaskTemplate {
  return {
    scheduleId: s.id,
    runtimeId: s.runtimeId,
    concurrencyGroup: s.concurrencyGroup,
    title: s.name,
    prompt: s.prompt,
    maxTurns: s.maxTurns ?? SCHEDULE_DEFAULTS.maxTurns,
    maxRunDurationSec: s.maxRunDurationSec,
    maxAttempts: s.maxAttempts,
  };
}
