/**
 * Enum values shared by the drizzle schema, the zod input schemas and the UI.
 * One place for each list: add a value here and every layer sees it.
 */

export const SCHEDULE_STATUSES = ["active", "paused", "completed", "expired"] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/** What to do with a new occurrence while the schedule's previous task is queued or running. */
export const OVERLAP_POLICIES = ["skip", "buffer_one", "buffer_all", "cancel_other", "allow_all"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** What to do with occurrences missed while no scheduler was running. */
export const CATCH_UP_POLICIES = ["latest", "all", "skip"] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

export const TASK_STATUSES = ["queued", "running", "completed", "failed", "cancelled", "skipped"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TERMINAL_TASK_STATUSES = ["completed", "failed", "cancelled", "skipped"] as const satisfies readonly TaskStatus[];

export const TASK_SOURCE_TYPES = ["scheduled", "manual", "retry"] as const;
export type TaskSourceType = (typeof TASK_SOURCE_TYPES)[number];
/** What started a task's occurrence: a retry inherits its root's (a Run now's retry is manual-rooted). */
/** What created a task besides the clock or a person (tasks.triggerKind): the fire URL, or an upstream schedule's success. */
export const TASK_TRIGGER_KINDS = ["hook", "dependency"] as const;
export type TaskTriggerKind = (typeof TASK_TRIGGER_KINDS)[number];
export const TASK_ROOT_SOURCE_TYPES = ["scheduled", "manual"] as const;
export type TaskRootSourceType = (typeof TASK_ROOT_SOURCE_TYPES)[number];

/**
 * Failure classes written explicitly at the terminal transition (DESIGN.md "Policies").
 * Infrastructure-shaped ones are retried; see RETRYABLE_FAILURE_REASONS.
 */
export const FAILURE_REASONS = [
  "turn_limit_exceeded",
  "timeout",
  "lease_expired",
  "runtime_recovery",
  "aborted",
  "auth_failed",
  "rate_limited",
  "network",
  "budget_exceeded",
  "process_failure",
  "runtime_missing_executable",
  "agent_error",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Failures that retry with backoff while attempts remain (DESIGN.md "Policies" → retries). */
export const RETRYABLE_FAILURE_REASONS: readonly FailureReason[] = [
  "lease_expired",
  "runtime_recovery",
  "timeout",
  "rate_limited",
  "network",
];

export const SKIPPED_REASONS = [
  "overlap",
  "paused_at_fire",
  "schedule_deleted",
  "cancelled_by_overlap",
  // Calendar controls (issue 12 item 2).
  "outside_window",
  "excluded_date",
  "skipped_by_user",
  // Spend (src/lib/budgets).
  "budget_exceeded",
] as const;
export type SkippedReason = (typeof SKIPPED_REASONS)[number];

/** Why a schedule is paused (`schedules.pausedReason`). */
export const PAUSED_REASONS = ["paused_by_user", "failure_streak", "turn_budget_breach_streak", "invalid_cron", "paused_until"] as const;
export type PausedReason = (typeof PAUSED_REASONS)[number];

export const RUNTIME_KINDS = ["command", "claude-agent-sdk", "openai-compatible"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export const CHAT_ROLES = ["user", "assistant"] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];
export const CHAT_MESSAGE_STATUSES = ["streaming", "complete", "error", "aborted"] as const;
export type ChatMessageStatus = (typeof CHAT_MESSAGE_STATUSES)[number];

/** Kinds of rows in the `events` activity/audit log. */
export const EVENT_KINDS = [
  "schedule_created",
  "schedule_updated",
  "schedule_deleted",
  "schedule_paused",
  "schedule_resumed",
  "auto_paused",
  "missed_occurrences",
  "manual_force_bypass",
  "manual_queued",
  "settings_changed",
  "schedule_completed",
  "schedule_expired",
  "invalid_cron",
  "task_retried",
  "runtime_recovery",
  "lease_expired",
  "clock_stepped",
  "system_resumed",
  "hook_token_rotated",
  "hook_token_revoked",
  // Calendar controls (issue 12 items 2, 3).
  "occurrence_skipped",
  "backfill_requested",
  /** A cost cap was reached (src/lib/budgets): data {scope: "run"|"24h"|"7d"|"day", capUsd, spentUsd}. Once per breach. */
  "budget_exceeded",
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

// --- notifications (issue 11 items 1–2; src/lib/notifications/) ---
/** What a person can be notified of (API.md v2 `NotificationEvent`). */
export const NOTIFICATION_EVENTS = ["task_failed", "task_recovered", "schedule_paused", "occurrences_missed", "budget_exceeded", "task_succeeded"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
/** Events a schedule is notified of when its `notifyOn` is null: everything but every success. */
export const DEFAULT_NOTIFY_ON: readonly NotificationEvent[] = ["task_failed", "task_recovered", "schedule_paused", "occurrences_missed", "budget_exceeded"];
/** The `type` of a delivery sent by "Send test" (not a NotificationEvent: nothing subscribes to it). */
export const TEST_NOTIFICATION_TYPE = "test";
export const NOTIFICATION_CHANNEL_KINDS = ["webhook", "slack", "email"] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];
/** An outbox row's state: waiting (first send or a retry), leased by a sender, sent, given up. */
export const DELIVERY_STATUSES = ["pending", "sending", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
// --- end notifications ---

/** Input bounds, enforced by zod at the edge. */
export const LIMITS = {
  nameMax: 200,
  promptMax: 100_000,
  maxTurnsMin: 1,
  maxTurnsMax: 10_000,
  maxRunDurationSecMax: 7 * 24 * 3600,
  maxAttemptsMax: 20,
  catchUpWindowSecMax: 30 * 24 * 3600,
  maxFiringsMax: 1_000_000_000,
  /** Earliest timestamp input (UTC ms): 1970-01-01T00:00:00.000Z. */
  timestampMinMs: 0,
  /** Latest timestamp input (UTC ms): 9999-12-31T23:59:59.999Z, the last instant an ISO-8601 date can name. */
  timestampMaxMs: 253_402_300_799_999,
  /** Largest cost cap (USD) a schedule or the settings accept (src/lib/budgets). */
  costCapUsdMax: 1_000_000,
  /** Largest JSON request body (bytes): room for a full runtime config or a 100 000-character prompt. */
  bodyMaxBytes: 4 * 1024 * 1024,
} as const;

/** Turn budget given to a task whose schedule leaves maxTurns empty ("inherit"). */
export const DEFAULT_MAX_TURNS = 100;
/** Attempts (first run + retries) when a schedule leaves maxAttempts empty. */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** catchUpWindowSec when a schedule leaves it empty: one hour. */
export const DEFAULT_CATCH_UP_WINDOW_SEC = 3600;

// ---- Calendar controls (issue 12 items 2, 5; docs/adr/0015-calendar-windows-defer-jitter.md) ----

/** What happens to an occurrence outside the active window. */
export const WINDOW_POLICIES = ["skip", "defer"] as const;
export type WindowPolicy = (typeof WINDOW_POLICIES)[number];

/**
 * A weekly active window in the schedule's zone: `days` ISO weekdays (1 = Monday … 7 =
 * Sunday), `start`/`end` "HH:MM" wall times; `end` ≤ `start` spans midnight (the window
 * belongs to the day it starts on).
 */
export interface ActiveWindow {
  days: number[];
  start: string;
  end: string;
  policy: WindowPolicy;
}

/** Bounds of the calendar inputs. */
export const CALENDAR_LIMITS = {
  jitterSecMax: 24 * 3600,
  excludeDatesMax: 366,
  backfillMaxCount: 1000,
  backfillDefaultCount: 100,
} as const;
