/**
 * Words, not codes: one map from the stored enum codes (src/lib/db/constants.ts) to a
 * short label and a detail sentence, for the dashboard and (later) notifications.
 * Pure data and functions: no React, no server imports, so any layer can use it.
 * The turn budget is always called "max turns" here (the mission's term).
 */
import type { EventKind, FailureReason, PausedReason, ScheduleStatus, SkippedReason, TaskStatus } from "@/lib/db/constants";

/** A code put into words: `label` fits a badge; `detail` is one sentence saying what happened and what to do. */
export interface Words {
  label: string;
  detail: string;
}

export const PAUSED_REASON_WORDS: Record<PausedReason, Words> = {
  paused_by_user: { label: "Paused by you", detail: "Someone paused this schedule; nothing fires until it is resumed." },
  failure_streak: {
    label: "Paused after repeated failures",
    detail: "Several runs in a row failed, so the schedule paused itself. Open the last failed run, fix the cause, then resume.",
  },
  turn_budget_breach_streak: {
    label: "Paused: kept hitting max turns",
    detail: "Several runs in a row used up their max turns. Raise max turns or narrow the prompt, then resume.",
  },
  invalid_cron: {
    label: "Paused: schedule can't be evaluated",
    detail: "The cron expression or timezone no longer gives a next occurrence. Edit the schedule to fix it.",
  },
};

export const FAILURE_REASON_WORDS: Record<FailureReason, Words> = {
  turn_limit_exceeded: { label: "Hit max turns", detail: "The agent used all its max turns before finishing. Raise max turns or narrow the prompt." },
  timeout: { label: "Timed out", detail: "The run went past its max run duration and was stopped." },
  lease_expired: { label: "Lease expired", detail: "The run stopped reporting before its lease ran out; the reaper ended it and its process tree." },
  runtime_recovery: { label: "Interrupted by a restart", detail: "Agentcron restarted while this run was in progress; the run was ended and may be retried." },
  aborted: { label: "Stopped", detail: "The run was stopped before it finished (cancelled or shut down)." },
  auth_failed: { label: "Sign-in failed", detail: "The model provider refused the credentials. Check the runtime's API key or login." },
  rate_limited: { label: "Rate limited", detail: "The model provider asked to slow down; the run is retried after a pause." },
  network: { label: "Network error", detail: "The model provider could not be reached; the run is retried after a pause." },
  budget_exceeded: { label: "Over budget", detail: "The run went over its spending budget and was stopped." },
  process_failure: { label: "Agent process failed", detail: "The agent program exited with an error. Its output in the event stream usually says why." },
  runtime_missing_executable: {
    label: "Program not found",
    detail: "The runtime's command names a program that doesn't exist on this machine. Fix the runtime's command in Settings.",
  },
  agent_error: { label: "Agent reported an error", detail: "The agent finished with an error of its own; see its last message." },
};

export const SKIPPED_REASON_WORDS: Record<SkippedReason, Words> = {
  overlap: { label: "Skipped: previous run still going", detail: "The overlap policy skips an occurrence while the previous run is queued or running." },
  paused_at_fire: { label: "Skipped: schedule was paused", detail: "The schedule was paused when this occurrence came due." },
  schedule_deleted: { label: "Skipped: schedule deleted", detail: "The schedule was deleted before this occurrence could run." },
  cancelled_by_overlap: { label: "Replaced by a newer run", detail: "The overlap policy cancels the previous run when a new occurrence starts." },
};

export const TASK_STATUS_WORDS: Record<TaskStatus, Words> = {
  queued: { label: "Queued", detail: "Waiting for a free slot." },
  running: { label: "Running", detail: "The agent is working now." },
  completed: { label: "Completed", detail: "The run finished successfully." },
  failed: { label: "Failed", detail: "The run ended with an error." },
  cancelled: { label: "Cancelled", detail: "The run was cancelled." },
  skipped: { label: "Skipped", detail: "This occurrence did not run." },
};

export const SCHEDULE_STATUS_WORDS: Record<ScheduleStatus, Words> = {
  active: { label: "Active", detail: "Fires at each occurrence." },
  paused: { label: "Paused", detail: "Nothing fires until it is resumed." },
  completed: { label: "Completed", detail: "Reached its max firings; nothing fires any more." },
  expired: { label: "Expired", detail: "Past its end date; nothing fires any more." },
};

export const EVENT_KIND_WORDS: Record<EventKind, Words> = {
  schedule_created: { label: "Created", detail: "The schedule was created." },
  schedule_updated: { label: "Edited", detail: "The schedule was changed." },
  schedule_deleted: { label: "Deleted", detail: "The schedule was deleted." },
  schedule_paused: { label: "Paused", detail: "The schedule was paused." },
  schedule_resumed: { label: "Resumed", detail: "The schedule was resumed." },
  auto_paused: { label: "Paused automatically", detail: "Agentcron paused the schedule after repeated trouble." },
  missed_occurrences: { label: "Missed occurrences", detail: "Occurrences came due while Agentcron was not running." },
  manual_force_bypass: { label: "Ran above the cap", detail: "A manual run was started although all slots were taken (Run anyway)." },
  settings_changed: { label: "Settings changed", detail: "Scheduler settings were changed." },
  schedule_completed: { label: "Completed", detail: "The schedule reached its max firings." },
  schedule_expired: { label: "Expired", detail: "The schedule passed its end date." },
  invalid_cron: { label: "Schedule can't be evaluated", detail: "The cron expression or timezone gives no next occurrence." },
  task_retried: { label: "Retried", detail: "A failed run was retried." },
  runtime_recovery: { label: "Recovered after restart", detail: "A run interrupted by a restart was ended." },
  lease_expired: { label: "Lease expired", detail: "A run's lease ran out and the reaper ended it." },
  manual_queued: { label: "Queued for a slot", detail: "A manual run waits in the queue and starts when a slot frees (Queue it)." },
  clock_stepped: { label: "Clock changed", detail: "The system clock jumped; leases and planning were adjusted so nothing runs twice or stalls." },
  system_resumed: { label: "Woke from sleep", detail: "The machine was suspended; leases were extended by the time asleep and catch-up applied once." },
  budget_exceeded: { label: "Budget exceeded", detail: "A cost cap stopped or skipped a run." },
};

function lookup<K extends string>(map: Record<K, Words>, code: string | null | undefined): Words | null {
  if (!code) return null;
  // An unknown code (newer server, older page) still shows something readable.
  return (map as Record<string, Words>)[code] ?? { label: code.replace(/_/g, " "), detail: "" };
}

/** Words for a `schedules.pausedReason`; null for none. */
export const pausedReasonWords = (code: string | null | undefined) => lookup(PAUSED_REASON_WORDS, code);
/** Words for a `tasks.failureReason`; null for none. */
export const failureReasonWords = (code: string | null | undefined) => lookup(FAILURE_REASON_WORDS, code);
/** Words for a `tasks.skippedReason`; null for none. */
export const skippedReasonWords = (code: string | null | undefined) => lookup(SKIPPED_REASON_WORDS, code);
/** Words for a task status. */
export const taskStatusWords = (code: string) => lookup(TASK_STATUS_WORDS, code)!;
/** Words for a schedule status. */
export const scheduleStatusWords = (code: string) => lookup(SCHEDULE_STATUS_WORDS, code)!;
/** Words for an `events.kind`. */
export const eventKindWords = (code: string) => lookup(EVENT_KIND_WORDS, code)!;

/** Why a task ended without completing: its failure or skipped reason in words; null when neither is set. */
export function taskOutcomeWords(t: { failureReason?: string | null; skippedReason?: string | null }): Words | null {
  return failureReasonWords(t.failureReason) ?? skippedReasonWords(t.skippedReason);
}
