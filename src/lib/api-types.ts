/**
 * Response shapes of the HTTP API (docs/api.md), shared by the serializers on the
 * server and the dashboard in the browser. Timestamps are ISO-8601 UTC strings.
 *
 * A leaf module: it imports nothing from the app but the enum unions of
 * db/constants.ts (itself a leaf), so server code and the browser can both import it
 * without pulling in services (test/import-graph.test.ts keeps src/lib free of cycles).
 */
import type {
  CatchUpPolicy,
  ChatMessageStatus,
  ChatRole,
  FailureReason,
  NotificationChannelKind,
  NotificationEvent,
  OverlapPolicy,
  RuntimeKind,
  ScheduleStatus,
  TaskSourceType,
  TaskStatus,
} from "./db/constants";

/** API.md `Schedule`, as serializeSchedule (schedules/service.ts) writes it. */
export interface ScheduleDto {
  id: string;
  name: string;
  prompt: string;
  cronExpression: string;
  /** The cron expression in words (cronstrue). */
  description: string;
  timezone: string;
  runtimeId: string | null;
  status: ScheduleStatus;
  pausedReason: string | null;
  /** Turn budget per task; null inherits the default (SCHEDULE_DEFAULTS.maxTurns). */
  maxTurns: number | null;
  maxTurnsSetAt: string | null;
  /** Lease length per task in seconds; null inherits the global setting. */
  maxRunDurationSec: number | null;
  maxAttempts: number;
  overlapPolicy: OverlapPolicy;
  catchUpPolicy: CatchUpPolicy;
  catchUpWindowSec: number;
  maxFirings: number | null;
  expiresAt: string | null;
  firingCount: number;
  nextFireAt: string | null;
  lastFiredAt: string | null;
  avgTurnsPerFiring: number | null;
  lastTurnCount: number | null;
  failureStreak: number;
  turnBudgetBreachStreak: number;
  lastFailureReason: string | null;
  /** Notifications (issue 11): null = the default channels / DEFAULT_NOTIFY_ON. */
  notificationChannelIds: string[] | null;
  notifyOn: NotificationEvent[] | null;
  quietResultMarker: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * API.md `CollisionWarning`, plus additive fields the sheet uses: the other schedules'
 * ids, the nominal day analysed, and (for a schedule that fires at one time of day) a
 * nearby free minute with the cron expression that would use it.
 */
export interface CollisionWarning {
  type: "cron_collision";
  /** Names of the other active schedules that share a crowded 5-minute bucket, biggest contributor first. */
  overlappingSchedules: string[];
  overlappingScheduleIds: string[];
  /** Minutes of the day (0–1439, the saved schedule's timezone) at which it fires into a crowded bucket. */
  overlappingMinutes: number[];
  /** The largest combined agent-step estimate of a crowded bucket (saved schedule included). */
  estimatedConcurrentSteps: number;
  /** Minute of the day (0–1439, saved schedule's timezone) whose bucket is free, nearest the collision. */
  suggestedMinute?: number;
  /** `cronExpression` with its minute and hour fields moved to `suggestedMinute`. */
  suggestedCronExpression?: string;
  /** Local date (YYYY-MM-DD, saved schedule's timezone) of the nominal day analysed. */
  referenceDay: string;
}

/** How an agent run ended (runtimes/types.ts `RunResult.status`). */
export type RunStatus = "success" | "max_turns" | "error";

/** POST /api/runtimes/:id/test answer ("Test runtime" in Settings). */
export interface RuntimeTestDto {
  /**
   * The verdict "Test runtime" shows: the agent answered at least one turn. A multi-turn
   * agent stopped by the test's one-turn budget (`status: "max_turns"`) responded too.
   */
  responded: boolean;
  status: RunStatus;
  text: string | null;
  turns: number;
  error: string | null;
  failureReason: FailureReason | null;
  /** Wall time of the run (ms). */
  durationMs: number;
}

export interface TaskDto {
  id: string;
  scheduleId: string | null;
  runtimeId: string | null;
  title: string;
  status: TaskStatus;
  sourceType: TaskSourceType;
  plannedAt: string | null;
  attempt: number;
  maxAttempts: number;
  parentTaskId: string | null;
  maxTurns: number;
  turnCount: number;
  slotClaimedAt: string | null;
  leaseExpiresAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  failureReason: FailureReason | null;
  error: string | null;
  result: string | null;
  sessionId: string | null;
  skippedReason: string | null;
  forced: boolean;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  createdAt: string;
}

export interface TaskEventDto {
  id: number;
  taskId: string;
  /** AgentEvent type: session | assistant | tool_call | tool_result | stderr | usage | result. */
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface RuntimeDto {
  id: string;
  name: string;
  kind: RuntimeKind;
  config: Record<string, unknown>;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface FiringMetricDto {
  taskId: string;
  firedAt: string;
  plannedAt: string | null;
  slotClaimedAt: string | null;
  completedAt: string;
  latenessMs: number;
  slotWaitMs: number;
  durationMs: number;
  turnCount: number;
  maxTurnsAtFiring: number;
  eventLoopLagMs: number;
  peakRssMb: number;
  chatStreamsActive: number;
  concurrentSchedules: number;
  failureReason: string | null;
}

export interface EventDto {
  id: number;
  kind: string;
  scheduleId: string | null;
  taskId: string | null;
  message: string;
  data: Record<string, unknown> | null;
  createdAt: string;
}

/** Main-thread event-loop delay over a sliding window (GET /api/scheduler/status; metrics/event-loop-delay.ts). */
export interface EventLoopDelayDto {
  /** Seconds of samples the figures cover: 60, or the time since the monitor started when shorter. */
  windowSec: number;
  /** Ticks of the 10 ms sampling timer in the window (≈ 100 a second on a free loop; fewer when it stalls). */
  samples: number;
  /** How late the ticks ran beyond the 10 ms interval, ms (two decimals); 0 with no sample. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SchedulerStatusDto {
  maxConcurrent: number;
  running: number;
  queued: number;
  chatStreamsActive: number;
  nextFireAt: string | null;
  eventLoopLagMs: number;
  /** Main-thread event-loop delay beyond the 10 ms sampling interval over the last 60 s, ms (metrics/event-loop-delay.ts). */
  eventLoopDelay: EventLoopDelayDto;
  /** The newest wall-clock step or suspend a runner detected (ADR 0006), or null. */
  lastClockEvent: { kind: "clock_stepped" | "system_resumed"; message: string; data: Record<string, unknown> | null; createdAt: string | null } | null;
}

export interface ConversationDto {
  id: string;
  title: string;
  runtimeId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface MessageDto {
  id: string;
  conversationId: string;
  role: ChatRole;
  content: string;
  status: ChatMessageStatus;
  /** Why an assistant message ended as `error` or `aborted`; null otherwise. */
  error: string | null;
  createdAt: string;
}

/**
 * Chat SSE `data:` payloads (API.md "Chat"), in order: one `status` when the turn
 * starts, `delta`s of assistant text, then exactly one `done` (status `complete`) or
 * `error` (status `error`, or `aborted` when the agent was stopped). The terminal event
 * is sent after the message is final in the DB.
 */
export type ChatStreamEvent =
  | {
      type: "status";
      status: string;
      /** The assistant message being streamed. */
      messageId?: string;
      userMessageId?: string;
      conversationId?: string;
      /** Queued scheduled tasks due now, held back while this chat streams (chat pressure). */
      heldBackTasks?: number;
    }
  | { type: "delta"; text: string }
  | { type: "done"; messageId: string }
  | { type: "error"; message: string; messageId?: string; status?: "error" | "aborted" };

/** GET /api/runners item (API.md v2 "Several instances"; docs/api.md). */
export interface RunnerDto {
  id: string;
  kind: "web" | "worker";
  hostname: string;
  pid: number;
  /** Most tasks at once on this runner: its AGENTCRON_RUNNER_CAPACITY, else the global cap. */
  capacity: number;
  /** Tasks holding a slot on this runner now. */
  running: number;
  labels: string[];
  /** ISO time of its last heartbeat. */
  heartbeatAt: string;
  /** ISO time it stopped cleanly, or null while it runs (or died without stopping). */
  stoppedAt: string | null;
  /** Not stopped and heartbeat within the stale bound: it plans and claims now. */
  alive: boolean;
}

// --- notifications (issue 11; docs/api.md "Notifications") ---
/** A notification channel. Secrets are never included: `hasSecret` says one is stored. */
export interface NotificationChannelDto {
  id: string;
  name: string;
  kind: NotificationChannelKind;
  /** webhook `{url}`; slack `{url}` with the path masked; email `{host, port, secure, username, from, to}`. */
  config: Record<string, unknown>;
  /** Events this channel takes; null = every event. */
  events: NotificationEvent[] | null;
  /** Used by schedules that name no channels of their own. */
  isDefault: boolean;
  /** A webhook signing secret or an SMTP password is stored. */
  hasSecret: boolean;
  createdAt: string;
  updatedAt: string;
  /** Only in the answer that generated or set it (create, or PATCH with rotateSecret): shown once. */
  secret?: string;
}

/** One send attempt of a delivery. */
export interface NotificationAttemptDto {
  attempt: number;
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
  at: string;
  durationMs: number;
}

/** GET /api/notification-channels/:id/deliveries item. */
export interface NotificationDeliveryDto {
  id: string;
  /** The notification event type (`task_failed` …, or `test`). */
  event: string;
  eventId: string;
  status: "pending" | "sending" | "delivered" | "failed";
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  attemptLog: NotificationAttemptDto[];
}
