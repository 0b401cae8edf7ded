import "server-only";
import type { NewEvent } from "../events/types";
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import { DEFAULT_NOTIFY_ON, type EventKind, type FailureReason, type NotificationEvent, type TaskStatus } from "../db/constants";
import {
  insertDeliveries,
  insertEventIfNewCause,
  selectChannelsByIds,
  selectDefaultChannels,
  selectLatestFailureAlert,
  selectScheduleNotifySettings,
} from "../db/queries/notifications";
import { selectTaskById } from "../db/queries/tasks-core";
import type { NotificationChannelRow, TaskRow } from "../db/schema";
import { clipResult, type NotificationPayload } from "./payload";

/**
 * The outbox writer (issue 11 items 1–2, ADR 0021): turns a cause into one
 * notification_events row (unique by `causeKey`: a cause never notifies twice) and one
 * pending delivery per target channel, in the caller's transaction (`tx`), so the alert
 * exists exactly when its cause committed. The sender (sender.ts) sends the rows later.
 */

/** What happened, for enqueueNotification. */
export interface NotificationCause {
  type: NotificationPayload["type"];
  /** Unique per cause: `task_failed:<taskId>`, `schedule_paused:<scheduleId>:<taskId>` … */
  causeKey: string;
  scheduleId: string | null;
  task?: Pick<TaskRow, "id" | "status" | "failureReason" | "result" | "costUsd"> | null;
  detail: Record<string, unknown>;
  /** UTC ms. */
  occurredAt: number;
  /** Send to exactly these channels (Send test), ignoring the schedule's routing. */
  channelIds?: string[];
  /** Write the event even when no channel takes it (task_failed / task_recovered: the failure-alert state). */
  alwaysRecord?: boolean;
}

/** What enqueueNotification wrote: the event id and the deliveries created (0 when none), or null for a repeated cause / no target. */
export interface Enqueued {
  eventId: string;
  deliveryIds: string[];
}

/**
 * The channels a cause goes to: explicit `channelIds`; else the schedule's
 * `notificationChannelIds` (null → the default channels) when the schedule's `notifyOn`
 * (null → DEFAULT_NOTIFY_ON) includes the type; each channel's own `events` filter applies.
 */
async function targetsOf(tx: Db, cause: NotificationCause): Promise<{ channels: NotificationChannelRow[]; scheduleName: string | null }> {
  const schedule = cause.scheduleId ? await selectScheduleNotifySettings(tx, cause.scheduleId) : undefined;
  const scheduleName = schedule?.name ?? null;
  if (cause.channelIds) return { channels: await selectChannelsByIds(tx, cause.channelIds), scheduleName };
  const type = cause.type as NotificationEvent;
  const notifyOn = schedule?.notifyOn ?? DEFAULT_NOTIFY_ON;
  if (!notifyOn.includes(type)) return { channels: [], scheduleName };
  const channels = schedule?.notificationChannelIds != null ? await selectChannelsByIds(tx, schedule.notificationChannelIds) : await selectDefaultChannels(tx);
  return { channels: channels.filter((c) => c.events == null || c.events.includes(type)), scheduleName };
}

/**
 * Writes the event and its pending deliveries (nextAttemptAt = occurredAt) in `tx`.
 * Returns null, writing nothing, when the cause was already recorded or (without
 * `alwaysRecord`) when no channel takes it.
 */
export async function enqueueNotification(tx: Db, cause: NotificationCause): Promise<Enqueued | null> {
  const { channels, scheduleName } = await targetsOf(tx, cause);
  if (!channels.length && !cause.alwaysRecord) return null;
  const eventId = randomUUID();
  const payload: NotificationPayload = {
    id: eventId,
    type: cause.type,
    occurredAt: new Date(cause.occurredAt).toISOString(),
    schedule: cause.scheduleId ? { id: cause.scheduleId, name: scheduleName ?? "(deleted schedule)" } : null,
    ...(cause.task
      ? {
          task: {
            id: cause.task.id,
            status: cause.task.status as TaskStatus,
            failureReason: (cause.task.failureReason ?? null) as FailureReason | null,
            result: clipResult(cause.task.result ?? null),
            costUsd: cause.task.costUsd ?? null,
          },
        }
      : {}),
    detail: cause.detail,
  };
  const inserted = await insertEventIfNewCause(tx, {
    id: eventId,
    type: cause.type,
    scheduleId: cause.scheduleId,
    taskId: cause.task?.id ?? null,
    causeKey: cause.causeKey,
    payload: payload as unknown as Record<string, unknown>,
    occurredAt: cause.occurredAt,
  });
  if (!inserted) return null;
  const deliveryIds = channels.map(() => randomUUID());
  await insertDeliveries(
    tx,
    channels.map((c, i) => ({
      id: deliveryIds[i],
      eventId,
      channelId: c.id,
      status: "pending" as const,
      attempts: 0,
      nextAttemptAt: cause.occurredAt,
      leaseOwner: null,
      leaseExpiresAt: null,
      responseStatus: null,
      lastError: null,
      createdAt: cause.occurredAt,
      deliveredAt: null,
    })),
  );
  return { eventId, deliveryIds };
}

/** A finished task as the terminal write sees it. */
export interface FinishedTask {
  task: TaskRow;
  status: TaskStatus;
  failureReason: FailureReason | null;
  error: string | null;
  result: string | null;
  costUsd: number | null;
  /** A retry child was created for it (the failure is not final). */
  retried: boolean;
  /** UTC ms. */
  now: number;
}

/**
 * The task-outcome rules (issue 11 item 2), called by the terminal write
 * (scheduler/terminal-write.ts) in its transaction:
 * - a failure that will NOT be retried opens a failure alert — `task_failed`, once per
 *   streak: nothing while a retry is pending, nothing again while the alert is open;
 * - the first success after an open alert closes it — `task_recovered`;
 * - a success notifies `task_succeeded` (to schedules that ask for it) unless its result
 *   contains the schedule's `quietResultMarker` (a quiet run: recorded, not notified).
 * Cancelled runs change nothing. The open/closed state is the schedule's latest
 * task_failed/task_recovered event (written even when no channel takes it).
 */
export async function notifyTaskFinished(tx: Db, f: FinishedTask): Promise<void> {
  const scheduleId = f.task.scheduleId;
  if (!scheduleId) return;
  const task = { id: f.task.id, status: f.status, failureReason: f.failureReason, result: f.result, costUsd: f.costUsd };
  if (f.status === "failed") {
    if (f.retried) return;
    if ((await selectLatestFailureAlert(tx, scheduleId)) === "task_failed") return;
    await enqueueNotification(tx, {
      type: "task_failed",
      causeKey: `task_failed:${f.task.id}`,
      scheduleId,
      task,
      detail: { error: f.error?.slice(0, 2000) ?? null, attempt: f.task.attempt, maxAttempts: f.task.maxAttempts },
      occurredAt: f.now,
      alwaysRecord: true,
    });
    return;
  }
  if (f.status !== "completed") return;
  if ((await selectLatestFailureAlert(tx, scheduleId)) === "task_failed") {
    await enqueueNotification(tx, { type: "task_recovered", causeKey: `task_recovered:${f.task.id}`, scheduleId, task, detail: {}, occurredAt: f.now, alwaysRecord: true });
  }
  const schedule = await selectScheduleNotifySettings(tx, scheduleId);
  const marker = schedule?.quietResultMarker;
  if (marker && (f.result ?? "").includes(marker)) return;
  await enqueueNotification(tx, { type: "task_succeeded", causeKey: `task_succeeded:${f.task.id}`, scheduleId, task, detail: {}, occurredAt: f.now });
}

/** An `events` row as recordEvent writes it. */
export type LoggedEvent = NewEvent;

/** Event kinds of the activity log that notify, and as what. */
const NOTIFYING_KINDS: Partial<Record<EventKind, NotificationEvent>> = {
  auto_paused: "schedule_paused",
  invalid_cron: "schedule_paused",
  missed_occurrences: "occurrences_missed",
  budget_exceeded: "budget_exceeded",
};

const iso = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? new Date(v).toISOString() : null);

/**
 * The activity-log hook (events/log.ts recordEvent calls it in the same transaction):
 * `auto_paused`/`invalid_cron` → schedule_paused (with the reason), `missed_occurrences` →
 * occurrences_missed (count, range), `budget_exceeded` → budget_exceeded (once per schedule,
 * scope and cap per UTC day: a cap that keeps skipping firings alerts once, and raising it
 * re-arms the alert). Other kinds return at once.
 */
export async function notifyLoggedEvent(tx: Db, e: LoggedEvent): Promise<void> {
  const type = NOTIFYING_KINDS[e.kind];
  if (!type) return;
  const data = e.data ?? {};
  const scheduleId = e.scheduleId ?? null;
  const task = e.taskId ? ((await selectTaskById(tx, e.taskId)) ?? null) : null;
  let causeKey: string;
  let detail: Record<string, unknown>;
  switch (e.kind) {
    case "missed_occurrences":
      causeKey = `occurrences_missed:${scheduleId}:${String(data.from)}:${String(data.to)}`;
      detail = { message: e.message, count: data.count ?? null, approximate: data.approximate ?? false, from: iso(data.from), to: iso(data.to), catchUpPolicy: data.catchUpPolicy ?? null };
      break;
    case "budget_exceeded":
      causeKey = `budget_exceeded:${scheduleId ?? "global"}:${String(data.scope)}:${String(data.capUsd)}:${new Date(e.createdAt).toISOString().slice(0, 10)}`;
      detail = { message: e.message, scope: data.scope ?? null, capUsd: data.capUsd ?? null, spentUsd: data.spentUsd ?? null };
      break;
    default:
      causeKey = `schedule_paused:${scheduleId}:${e.kind}:${e.taskId ?? e.createdAt}`;
      detail = { message: e.message, pausedReason: (data.pausedReason as string | undefined) ?? (e.kind === "invalid_cron" ? "invalid_cron" : null) };
  }
  await enqueueNotification(tx, { type, causeKey, scheduleId, task, detail, occurredAt: e.createdAt });
}
