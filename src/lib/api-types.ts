/**
 * Response shapes of the HTTP API (docs/api.md), shared by the serializers on the
 * server and the dashboard in the browser. Timestamps are ISO-8601 UTC strings.
 *
 * A leaf module: it imports nothing from the app but the enum unions of
 * db/constants.ts (itself a leaf), so server code and the browser can both import it
 * without pulling in services (test/import-graph.test.ts keeps src/lib free of cycles).
 */
import type {
  ActiveWindow,
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
  TaskTriggerKind,
} from "./db/constants";

/** API.md `Schedule`, as serializeSchedule (schedules/service.ts) writes it. */
export interface ScheduleDto {
  id: string;
  name: string;
  prompt: string;
  /** null = no cron: runs only after `dependsOnScheduleId` succeeds (ADR 0024). */
  cronExpression: string | null;
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
  // --- triggers (issue 12 items 1, 7) ---
  /** True when the schedule has a fire URL token (the token itself is shown once, at POST …/hook-token). */
  hookTokenSet: boolean;
  hookTokenCreatedAt: string | null;
  /** Runs after each success of this schedule, besides its cron; null = none. */
  dependsOnScheduleId: string | null;
  // --- end triggers ---
  // --- spend (src/lib/budgets) ---
  /** Cost cap of one run (USD); null = none. */
  maxCostUsdPerRun: number | null;
  /** Rolling 24 h / 7 d cost caps of the schedule (USD); null = none. */
  maxCostUsd24h: number | null;
  maxCostUsd7d: number | null;
  /** Spend totals (GET /api/schedules and /api/schedules/:id; absent elsewhere). */
  usage?: ScheduleUsageDto;
  // --- end spend ---
  /** Notifications (issue 11): null = the default channels / DEFAULT_NOTIFY_ON. */
  notificationChannelIds: string[] | null;
  notifyOn: NotificationEvent[] | null;
  quietResultMarker: string | null;
  createdAt: string;
  updatedAt: string;
  // ---- Calendar controls (API.md v2 "Triggers and calendar"; ADR 0015) ----
  /** Max seconds each occurrence's start is moved later (deterministic per occurrence); 0 = none. */
  jitterSec: number;
  activeWindow: ActiveWindow | null;
  /** Local dates YYYY-MM-DD (schedule's zone) whose occurrences are skipped. */
  excludeDates: string[];
  /** A paused schedule resumes by itself at this instant; null = no auto-resume. */
  pausedUntil: string | null;
  // ---- end calendar controls ----
  /** Concurrency group whose cap its tasks count against (issue 12 item 4); null = none. */
  concurrencyGroup: string | null;
}

/**
 * A schedule's spend (API.md v2 `Schedule.usage`): finished tasks' cost (USD) and tokens by
 * window. Windows are whole UTC hours: "24h" = the current hour and the 24 before it.
 * A cost is null when nothing was priced and some runs have an unknown cost ("unknown",
 * never $0); `unpricedRuns30d` > 0 means the 30 d cost leaves those runs out.
 */
export interface ScheduleUsageDto {
  costUsd24h: number | null;
  costUsd7d: number | null;
  costUsd30d: number | null;
  costUsdAll: number | null;
  inputTokens24h: number;
  outputTokens24h: number;
  inputTokens7d: number;
  outputTokens7d: number;
  inputTokens30d: number;
  outputTokens30d: number;
  inputTokensAll: number;
  outputTokensAll: number;
  runs30d: number;
  unpricedRuns30d: number;
  unpricedRunsAll: number;
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
  /** Created by a backfill request (POST /api/schedules/:id/backfill), or a retry of one. */
  backfill: boolean;
  /** A queued task is not started before this instant (retry backoff, jitter, a deferred window start). */
  notBefore: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  // --- triggers (issue 12 items 1, 7) ---
  /** `hook` (fire URL), `dependency` (after an upstream success), or null. */
  triggerKind?: TaskTriggerKind | null;
  /** The upstream task whose success created this one (chaining). */
  triggeredByTaskId?: string | null;
  // --- end triggers ---
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
  /**
   * GET /api/runtimes only: the live runners that may claim this runtime's tasks (their labels
   * include all of `config.runnerLabels`); [] = none now, its tasks wait queued.
   */
  eligibleRunners?: { id: string; hostname: string; kind: "web" | "worker"; labels: string[] }[];
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
  /** Where agent runs execute (ADR 0022): `thread` = the executor host's worker thread; `hostRuns` = runs it holds now. */
  executor: { mode: "thread" | "inline"; hostRuns: number };
  /**
   * Major garbage collections run in the scheduler's quiet windows since boot (ADR 0035), per
   * thread: the main thread's, and the executor host's (null when runs execute inline or no
   * host started yet). `enabled` is false with AGENTCRON_QUIET_COLLECTION=off. Pauses in ms.
   */
  quietCollections: { enabled: boolean; main: QuietCollectionCountsDto; host: QuietCollectionCountsDto | null };
}

/** One thread's quiet-window collections: how many, and their pauses (ms). */
export interface QuietCollectionCountsDto {
  collections: number;
  pauseMsMean: number;
  pauseMsMax: number;
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

/** API shape of a concurrency group (GET /api/concurrency-groups). */
export interface ConcurrencyGroupDto {
  name: string;
  /** Most of its tasks running at once over every runner; null = no cap of its own (only the other caps). */
  maxConcurrent: number | null;
  /** Its tasks running / queued now. */
  running: number;
  queued: number;
  /** Schedules naming it. */
  schedules: number;
  /** ISO time the cap was last set, or null. */
  updatedAt: string | null;
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
