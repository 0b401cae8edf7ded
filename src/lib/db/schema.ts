/**
 * The whole SQLite schema (DESIGN.md "Data"). Every timestamp is an integer of UTC
 * milliseconds; JSON columns hold objects, never secrets (a runtime names the env var
 * that holds its key). Migrations are generated from this file by drizzle-kit.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  CATCH_UP_POLICIES,
  CHAT_MESSAGE_STATUSES,
  CHAT_ROLES,
  OVERLAP_POLICIES,
  RUNTIME_KINDS,
  SCHEDULE_STATUSES,
  TASK_ROOT_SOURCE_TYPES,
  TASK_SOURCE_TYPES,
  TASK_STATUSES,
  TASK_TRIGGER_KINDS,
  type ActiveWindow,
  DELIVERY_STATUSES,
  NOTIFICATION_CHANNEL_KINDS,
  type FailureReason,
  type NotificationEvent,
} from "./constants";

/** A process group an agent run spawned: its leader's pid (= pgid) and the leader's start stamp (runtimes/process-table.ts). */
export interface OwnedProcessGroup {
  pgid: number;
  startTime: number;
}

export const runtimes = sqliteTable(
  "runtimes",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: RUNTIME_KINDS }).notNull(),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("runtimes_name_unique").on(t.name)],
);

export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    prompt: text("prompt").notNull(),
    /** null = no cron: the schedule runs only after its upstream (dependsOnScheduleId, ADR 0024). */
    cronExpression: text("cron_expression"),
    timezone: text("timezone").notNull().default("UTC"),
    /** null = the default runtime at fire time. */
    runtimeId: text("runtime_id").references(() => runtimes.id),
    status: text("status", { enum: SCHEDULE_STATUSES }).notNull().default("active"),
    pausedReason: text("paused_reason"),
    /** Turn budget per task; null = DEFAULT_MAX_TURNS. */
    maxTurns: integer("max_turns"),
    maxTurnsSetAt: integer("max_turns_set_at"),
    /** Lease length per task in seconds; null = the global SCHEDULE_MAX_RUN_DURATION_SEC. */
    maxRunDurationSec: integer("max_run_duration_sec"),
    maxAttempts: integer("max_attempts").notNull().default(3),
    overlapPolicy: text("overlap_policy", { enum: OVERLAP_POLICIES }).notNull().default("skip"),
    catchUpPolicy: text("catch_up_policy", { enum: CATCH_UP_POLICIES }).notNull().default("latest"),
    catchUpWindowSec: integer("catch_up_window_sec").notNull().default(3600),
    maxFirings: integer("max_firings"),
    expiresAt: integer("expires_at"),
    firingCount: integer("firing_count").notNull().default(0),
    nextFireAt: integer("next_fire_at"),
    /** Occurrences up to and including this instant have been planned. */
    lastPlannedAt: integer("last_planned_at"),
    lastFiredAt: integer("last_fired_at"),
    avgTurnsPerFiring: real("avg_turns_per_firing"),
    lastTurnCount: integer("last_turn_count"),
    failureStreak: integer("failure_streak").notNull().default(0),
    turnBudgetBreachStreak: integer("turn_budget_breach_streak").notNull().default(0),
    lastFailureReason: text("last_failure_reason"),
    // --- triggers (issue 12 items 1, 7: fire URL, chaining) ---
    /** SHA-256 (hex) of the fire URL's bearer token; the token itself is never stored. null = no fire URL. */
    hookTokenHash: text("hook_token_hash"),
    /** When the current hook token was generated (UTC ms). */
    hookTokenCreatedAt: integer("hook_token_created_at"),
    /** Run after each success of this schedule ("depends on"); no foreign key: a deleted one just never fires. */
    dependsOnScheduleId: text("depends_on_schedule_id"),
    /** Only successes finished at or after this instant (UTC ms, set with dependsOnScheduleId) trigger a run. */
    dependsOnSince: integer("depends_on_since"),
    // --- end triggers ---
    // ---- Calendar controls (issue 12 items 2, 5; docs/adr/0015-calendar-windows-defer-jitter.md) ----
    /** Max seconds an occurrence's start is moved later, deterministically per occurrence; 0 = none. */
    jitterSec: integer("jitter_sec").notNull().default(0),
    /** Weekly active window in the schedule's zone; null = always. */
    activeWindow: text("active_window", { mode: "json" }).$type<ActiveWindow>(),
    /** Local dates (YYYY-MM-DD in the schedule's zone) whose occurrences are skipped; null = none. */
    excludeDates: text("exclude_dates", { mode: "json" }).$type<string[]>(),
    /** A paused schedule resumes itself at this instant (UTC ms); null = no auto-resume. */
    pausedUntil: integer("paused_until"),
    // ---- end calendar controls ----
    /** Concurrency group (issue 12 item 4): its tasks share the group's cap (concurrency_groups); null = none. */
    concurrencyGroup: text("concurrency_group"),
    // --- spend (src/lib/budgets) ---
    /** Cost cap of one run in USD (Claude's maxBudgetUsd; price table × usage elsewhere); null = none. */
    maxCostUsdPerRun: real("max_cost_usd_per_run"),
    /** Rolling 24 h cost cap of the schedule in USD; null = none. */
    maxCostUsd24h: real("max_cost_usd_24h"),
    /** Rolling 7 d cost cap of the schedule in USD; null = none. */
    maxCostUsd7d: real("max_cost_usd_7d"),
    // --- end spend ---
    // --- notifications (issue 11): null = the defaults (default channels, DEFAULT_NOTIFY_ON) ---
    notificationChannelIds: text("notification_channel_ids", { mode: "json" }).$type<string[]>(),
    notifyOn: text("notify_on", { mode: "json" }).$type<NotificationEvent[]>(),
    /** A success whose result contains this text is a quiet run: recorded, not notified. */
    quietResultMarker: text("quiet_result_marker"),
    // --- end notifications ---
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("schedules_due_idx").on(t.status, t.nextFireAt), index("schedules_depends_on_idx").on(t.dependsOnScheduleId)],
);

export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    /** No foreign key on purpose: a deleted schedule's tasks stay in history under its id. */
    scheduleId: text("schedule_id"),
    runtimeId: text("runtime_id"),
    title: text("title").notNull(),
    prompt: text("prompt").notNull(),
    status: text("status", { enum: TASK_STATUSES }).notNull().default("queued"),
    sourceType: text("source_type", { enum: TASK_SOURCE_TYPES }).notNull(),
    /**
     * The root attempt's source (`scheduled|manual`), inherited by retries: a manual-rooted
     * retry behaves like a manual run (no chat-pressure hold, no paused_at_fire skip, no streaks).
     */
    rootSourceType: text("root_source_type", { enum: TASK_ROOT_SOURCE_TYPES }).notNull().default("scheduled"),
    /** The occurrence (UTC ms) a scheduled task was planned for; null for manual tasks. */
    plannedAt: integer("planned_at"),
    attempt: integer("attempt").notNull().default(1),
    maxAttempts: integer("max_attempts").notNull().default(1),
    parentTaskId: text("parent_task_id"),
    /** A queued task is not claimed before this instant (retry backoff). */
    notBefore: integer("not_before"),
    maxTurns: integer("max_turns").notNull(),
    /** Lease length in seconds; null = the global default at claim time. */
    maxRunDurationSec: integer("max_run_duration_sec"),
    turnCount: integer("turn_count").notNull().default(0),
    slotClaimedAt: integer("slot_claimed_at"),
    leaseExpiresAt: integer("lease_expires_at"),
    heartbeatAt: integer("heartbeat_at"),
    runnerId: text("runner_id"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    failureReason: text("failure_reason").$type<FailureReason>(),
    error: text("error"),
    result: text("result"),
    sessionId: text("session_id"),
    skippedReason: text("skipped_reason"),
    forced: integer("forced", { mode: "boolean" }).notNull().default(false),
    /** Created by a backfill request (POST /api/schedules/:id/backfill), inherited by its retries. */
    backfill: integer("backfill", { mode: "boolean" }).notNull().default(false),
    /** First instant chat pressure held this task back; bounds the total hold (invariant 8). */
    pressureHeldSince: integer("pressure_held_since"),
    inputTokens: integer("input_tokens"),
    outputTokens: integer("output_tokens"),
    costUsd: real("cost_usd"),
    /**
     * The process groups the task's agent run spawned ({pgid, startTime}: leader pid and its
     * start stamp, ADR 0005), on `agentHost`. Set while they may be alive; NULL once they are
     * known gone. Recovery kills them before it writes `runtime_recovery`; a retry is not
     * claimed while its parent still has some.
     */
    agentProcessGroups: text("agent_process_groups", { mode: "json" }).$type<OwnedProcessGroup[]>(),
    /** Host key (process-table.ts thisHost) of the processes in agentProcessGroups. */
    agentHost: text("agent_host"),
    // --- triggers (issue 12 items 1, 6, 7) ---
    /** What created the task besides the clock or a person: `hook` (fire URL), `dependency` (chaining); null otherwise. */
    triggerKind: text("trigger_kind", { enum: TASK_TRIGGER_KINDS }),
    /** The fire URL call's JSON body (compact text, ≤ HOOK_BODY_MAX_BYTES), for `{{trigger.body}}`. */
    triggerBody: text("trigger_body"),
    /** The upstream task whose success created this one (chaining); unique per schedule for root tasks. */
    triggeredByTaskId: text("triggered_by_task_id"),
    /** The prompt as sent to the agent, variables filled in (prompt-variables.ts); set when the run starts. */
    renderedPrompt: text("rendered_prompt"),
    // --- end triggers ---
    /** The schedule's concurrency group when the task was created (or Run now's): the claim checks its cap without a join. */
    concurrencyGroup: text("concurrency_group"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    // Chaining: one downstream root task per upstream run, whichever runner gets there.
    uniqueIndex("tasks_triggered_by_unique")
      .on(t.scheduleId, t.triggeredByTaskId)
      .where(sql`${t.parentTaskId} IS NULL AND ${t.triggeredByTaskId} IS NOT NULL`),
    // Invariant 1: one occurrence, at most one root task.
    uniqueIndex("tasks_occurrence_unique")
      .on(t.scheduleId, t.plannedAt)
      .where(sql`${t.parentTaskId} IS NULL AND ${t.plannedAt} IS NOT NULL`),
    index("tasks_status_idx").on(t.status, t.plannedAt, t.createdAt),
    // Run history pages: newest first by (createdAt, id), overall, per status, per schedule.
    index("tasks_schedule_idx").on(t.scheduleId, t.createdAt, t.id),
    index("tasks_created_idx").on(t.createdAt, t.id),
    index("tasks_status_created_idx").on(t.status, t.createdAt, t.id),
    // The overlap policy and the per-schedule serialization ask "does this schedule have a
    // queued/running task?" on every plan and claim; history can be long, so (schedule, status).
    // (createdAt, id) after them: the runs page filtered by schedule AND status pages newest
    // first without sorting the schedule's whole history in that status (issue 15).
    index("tasks_schedule_status_idx").on(t.scheduleId, t.status, t.createdAt, t.id),
    index("tasks_parent_idx").on(t.parentTaskId),
    // Recovery's sweep of agent processes that may outlive their run (few rows: running tasks).
    index("tasks_agent_processes_idx").on(t.runnerId).where(sql`${t.agentProcessGroups} IS NOT NULL`),
  ],
);

export const taskEvents = sqliteTable(
  "task_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    taskId: text("task_id")
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    /** AgentEvent type: session | assistant | tool_call | tool_result | stderr | usage | result. */
    type: text("type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("task_events_task_idx").on(t.taskId, t.id)],
);

export const scheduleFiringMetrics = sqliteTable(
  "schedule_firing_metrics",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    scheduleId: text("schedule_id").notNull(),
    taskId: text("task_id").notNull(),
    firedAt: integer("fired_at").notNull(),
    plannedAt: integer("planned_at"),
    slotClaimedAt: integer("slot_claimed_at"),
    completedAt: integer("completed_at").notNull(),
    latenessMs: integer("lateness_ms").notNull(),
    slotWaitMs: integer("slot_wait_ms").notNull(),
    durationMs: integer("duration_ms").notNull(),
    turnCount: integer("turn_count").notNull(),
    maxTurnsAtFiring: integer("max_turns_at_firing").notNull(),
    eventLoopLagMs: real("event_loop_lag_ms").notNull(),
    peakRssMb: real("peak_rss_mb").notNull(),
    chatStreamsActive: integer("chat_streams_active").notNull(),
    concurrentSchedules: integer("concurrent_schedules").notNull(),
    failureReason: text("failure_reason"),
  },
  (t) => [index("firing_metrics_schedule_idx").on(t.scheduleId, t.firedAt), index("firing_metrics_fired_idx").on(t.firedAt)],
);

/**
 * Maintained counters (issue 15: /api/metrics must not scan the history). Written only by
 * the SQLite triggers of migration 0006_maintained_counters on `tasks` and
 * `schedule_firing_metrics` (insert, status/schedule change, delete), so every writer —
 * scheduler, routes, retention, a second runner on the same file — keeps them exact in the
 * same transaction as the change. Never write them from application code.
 */
export const taskStatusCounts = sqliteTable("task_status_counts", {
  status: text("status", { enum: TASK_STATUSES }).primaryKey(),
  /** Number of tasks in this status. */
  n: integer("n").notNull(),
});

/** Tasks per (status, schedule); tasks without a schedule are not counted here. See taskStatusCounts. */
export const scheduleTaskCounts = sqliteTable(
  "schedule_task_counts",
  {
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    scheduleId: text("schedule_id").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.status, t.scheduleId] })],
);

/**
 * Cumulative Prometheus histograms of `schedule_firing_metrics` columns (`lateness_ms`,
 * `slot_wait_ms`; negative values count as 0), maintained by triggers like taskStatusCounts:
 * `n` = retained firing rows with value ≤ `leMs`, `sumMs` = their sum. The bucket bounds are
 * the rows the migration seeded (the +Inf bucket is `leMs` = 2^63 − 1); changing them
 * takes a migration that re-seeds the rows.
 */
export const firingHistograms = sqliteTable(
  "firing_histograms",
  {
    metric: text("metric", { enum: ["lateness_ms", "slot_wait_ms"] }).notNull(),
    leMs: integer("le_ms").notNull(),
    n: integer("n").notNull(),
    sumMs: integer("sum_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metric, t.leMs] })],
);

// --- spend (src/lib/budgets) ---
/**
 * Spend rollups of finished tasks' usage per schedule and time bucket, maintained by the
 * triggers of the spend_triggers migration on `tasks`: each finished task counts in its UTC
 * hour (`spanMs` 3 600 000), its UTC day (`spanMs` 86 400 000) and the all-time row
 * (`spanMs` 0, `bucketStart` 0), by its `finishedAt`; a later change to a finished task's
 * usage moves the totals by the difference. Tasks without a schedule count under
 * `scheduleId` ''. Pruning tasks does not lower them: spend stays spent. Never write them
 * from application code. Read by budgets/usage.ts: 24 h from hour rows, 7 d / 30 d / today
 * from day rows (ADR 0020).
 */
export const scheduleUsageRollups = sqliteTable(
  "schedule_usage_rollups",
  {
    scheduleId: text("schedule_id").notNull(),
    /** Bucket length in ms: 3 600 000 (hour), 86 400 000 (UTC day) or 0 (all time). */
    spanMs: integer("span_ms").notNull(),
    /** UTC ms of the bucket's start; 0 for all time. */
    bucketStart: integer("bucket_start").notNull(),
    /** Sum of the priced tasks' costUsd. */
    costUsd: real("cost_usd").notNull().default(0),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    /** Finished tasks that reported usage or cost. */
    runs: integer("runs").notNull().default(0),
    /** Of those, tasks whose cost is unknown (tokens but no price): their cost is not in costUsd. */
    unpricedRuns: integer("unpriced_runs").notNull().default(0),
  },
  // The list reads every schedule's recent buckets of one span: (span, start) ranges, summed from
  // the index alone (covering: 69 → 19 ms for 1,000 schedules' 30 days, bench:history 2026-12-04).
  (t) => [primaryKey({ columns: [t.scheduleId, t.spanMs, t.bucketStart] }), index("schedule_usage_rollups_window_idx").on(t.spanMs, t.bucketStart, t.scheduleId, t.costUsd, t.inputTokens, t.outputTokens, t.runs, t.unpricedRuns)],
);

/**
 * Monotonic Prometheus counters per schedule (issue 11 item 6), maintained by the spend_rollups
 * triggers: `failed` by failure class and `skipped` by reason (tasks entering that status),
 * `missed` (the `count` of missed_occurrences events) and `budget_breach` (budget_exceeded
 * events, by scope). Deleting tasks or events does not lower them.
 */
export const scheduleOutcomeCounts = sqliteTable(
  "schedule_outcome_counts",
  {
    metric: text("metric", { enum: ["failed", "skipped", "missed", "budget_breach"] }).notNull(),
    scheduleId: text("schedule_id").notNull(),
    /** Failure class, skipped reason or breach scope; '' when none. */
    reason: text("reason").notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.metric, t.scheduleId, t.reason] })],
);

/**
 * Open cost-cap breaches (one row per cause: `24h:<scheduleId>`, `7d:<scheduleId>`, `day`):
 * inserted on the first firing skipped for it (the insert that wins records the one
 * budget_exceeded event), deleted when a firing of that scope passes its check again.
 */
export const budgetBreaches = sqliteTable("budget_breaches", {
  key: text("key").primaryKey(),
  scope: text("scope", { enum: ["24h", "7d", "day"] }).notNull(),
  scheduleId: text("schedule_id"),
  capUsd: real("cap_usd").notNull(),
  spentUsd: real("spent_usd").notNull(),
  since: integer("since").notNull(),
});
// --- end spend ---

export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    scheduleId: text("schedule_id"),
    taskId: text("task_id"),
    message: text("message").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("events_schedule_idx").on(t.scheduleId, t.id), index("events_kind_idx").on(t.kind, t.createdAt)],
);

export const runners = sqliteTable("runners", {
  id: text("id").primaryKey(),
  pid: integer("pid").notNull(),
  hostname: text("hostname").notNull(),
  startedAt: integer("started_at").notNull(),
  heartbeatAt: integer("heartbeat_at").notNull(),
  stoppedAt: integer("stopped_at"),
  /** Where `pid` means something: host name + pid namespace (process-table.ts thisHost). */
  hostKey: text("host_key"),
  /** The runner process's start stamp (process-table.ts): on its own host, pid + stamp tell a dead runner at once. */
  processStartTime: integer("process_start_time"),
  /** Most tasks this runner runs at once (AGENTCRON_RUNNER_CAPACITY); null = the global cap only. */
  capacity: integer("capacity"),
  /** `web` (a `next start` instance) or `worker` (`npm run worker`). */
  kind: text("kind").notNull().default("web"),
  /** Labels a runtime can be pinned to (AGENTCRON_RUNNER_LABELS), e.g. the machine that has the repository. */
  labels: text("labels", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
});

/**
 * Concurrency groups' caps (issue 12 item 4): at most `maxConcurrent` tasks whose
 * `concurrencyGroup` is `name` run at once, across every runner. A group named by a schedule
 * without a row here has no cap of its own.
 */
export const concurrencyGroups = sqliteTable("concurrency_groups", {
  name: text("name").primaryKey(),
  maxConcurrent: integer("max_concurrent").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const chatConversations = sqliteTable("chat_conversations", {
  id: text("id").primaryKey(),
  title: text("title").notNull(),
  runtimeId: text("runtime_id"),
  /** The runtime's session id, resumed for multi-turn context. */
  sessionId: text("session_id"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const chatMessages = sqliteTable(
  "chat_messages",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => chatConversations.id, { onDelete: "cascade" }),
    role: text("role", { enum: CHAT_ROLES }).notNull(),
    content: text("content").notNull().default(""),
    status: text("status", { enum: CHAT_MESSAGE_STATUSES }).notNull(),
    error: text("error"),
    /** The runner that streams this message; boot reconcile finalizes a dead runner's. */
    runnerId: text("runner_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("chat_messages_conversation_idx").on(t.conversationId, t.createdAt)],
);

/**
 * Fire URL idempotency (issue 12 item 1): one row per (schedule, `Idempotency-Key`) seen in
 * the last HOOK_IDEMPOTENCY_TTL_MS, naming the task the first call created. Written in the
 * same transaction as that task; expired rows are deleted by the hook call and the loop's prune.
 */
export const hookIdempotencyKeys = sqliteTable(
  "hook_idempotency_keys",
  {
    scheduleId: text("schedule_id").notNull(),
    key: text("key").notNull(),
    taskId: text("task_id").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.key] }), index("hook_idempotency_created_idx").on(t.createdAt)],
);

export type RuntimeRow = typeof runtimes.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type NewScheduleRow = typeof schedules.$inferInsert;
export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = typeof tasks.$inferInsert;
export type TaskEventRow = typeof taskEvents.$inferSelect;
export type FiringMetricRow = typeof scheduleFiringMetrics.$inferSelect;
export type EventRow = typeof events.$inferSelect;
export type FiringHistogramRow = typeof firingHistograms.$inferSelect;
export type RunnerRow = typeof runners.$inferSelect;
export type ChatConversationRow = typeof chatConversations.$inferSelect;
export type ChatMessageRow = typeof chatMessages.$inferSelect;
export type HookIdempotencyKeyRow = typeof hookIdempotencyKeys.$inferSelect;
export type ConcurrencyGroupRow = typeof concurrencyGroups.$inferSelect;

// --- notifications (issue 11 items 1–2, ADR 0021) ---

/**
 * Where notifications go. `config` holds no secret (webhook `{url}`, slack `{url}`, email
 * `{host, port, secure, username, from, to}`); the webhook's HMAC secret or the SMTP password
 * is in `secret`, never serialized after creation.
 */
export const notificationChannels = sqliteTable(
  "notification_channels",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    kind: text("kind", { enum: NOTIFICATION_CHANNEL_KINDS }).notNull(),
    config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    secret: text("secret"),
    /** Events this channel takes; null = every event. */
    events: text("events", { mode: "json" }).$type<NotificationEvent[]>(),
    /** Used by schedules that name no channels of their own (the global default). */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("notification_channels_name_unique").on(t.name)],
);

/**
 * One notifiable happening, written in the transaction of its cause. `causeKey` is unique:
 * the same cause (a task's final failure, one auto-pause …) never makes a second event.
 * `payload` is the webhook body, frozen at the time of the cause.
 */
export const notificationEvents = sqliteTable(
  "notification_events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    scheduleId: text("schedule_id"),
    taskId: text("task_id"),
    causeKey: text("cause_key").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    occurredAt: integer("occurred_at").notNull(),
  },
  (t) => [uniqueIndex("notification_events_cause_unique").on(t.causeKey), index("notification_events_schedule_idx").on(t.scheduleId, t.occurredAt)],
);

/** The outbox: one row per (event, channel), claimed by a sender with a lease. */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => notificationEvents.id, { onDelete: "cascade" }),
    channelId: text("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull().default("pending"),
    /** Sends started (a claim counts one). */
    attempts: integer("attempts").notNull().default(0),
    /** UTC ms before which a pending row is not sent. */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: integer("lease_expires_at"),
    responseStatus: integer("response_status"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    uniqueIndex("notification_deliveries_event_channel_unique").on(t.eventId, t.channelId),
    index("notification_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("notification_deliveries_channel_idx").on(t.channelId, t.createdAt),
  ],
);

/** Every send attempt of a delivery, with its outcome. */
export const notificationAttempts = sqliteTable(
  "notification_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    responseStatus: integer("response_status"),
    error: text("error"),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("notification_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

export type NotificationChannelRow = typeof notificationChannels.$inferSelect;
export type NotificationEventRow = typeof notificationEvents.$inferSelect;
export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
export type NotificationAttemptRow = typeof notificationAttempts.$inferSelect;
// --- end notifications ---
