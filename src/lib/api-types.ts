/**
 * Response shapes of the HTTP API (../shared/API.md), shared by the serializers on the
 * server and the dashboard in the browser. Timestamps are ISO-8601 UTC strings.
 */
import type {
  ChatMessageStatus,
  ChatRole,
  FailureReason,
  RuntimeKind,
  TaskSourceType,
  TaskStatus,
} from "./db/constants";

export type { ScheduleDto } from "./schedules/service";
export type { CollisionWarning } from "./schedules/collisions";
/** POST /api/runtimes/:id/test answer ("Test runtime" in Settings). */
export type { RuntimeTestResult as RuntimeTestDto } from "./runtimes/runtime-test";

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
