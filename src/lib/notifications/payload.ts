/**
 * The notification body (API.md v2 "Webhook delivery"; docs/notifications.md): the webhook
 * POSTs it as JSON, Slack and email render it in words (describeNotification). Frozen when
 * the cause happens (stored in notification_events.payload), so a retry sends the same body.
 */
import type { FailureReason, NotificationEvent, TaskStatus } from "../db/constants";

/** Longest task result carried in a notification, characters (the rest is cut with "…"). */
export const RESULT_MAX_CHARS = 4000;

export interface NotificationPayload {
  /** The notification event id (the same across channels; each delivery has its own X-Agentcron-Delivery). */
  id: string;
  type: NotificationEvent | "test";
  /** ISO-8601 UTC. */
  occurredAt: string;
  schedule: { id: string; name: string } | null;
  task?: { id: string; status: TaskStatus; failureReason: FailureReason | null; result: string | null; costUsd: number | null };
  /** Per type: task_failed `{error, attempt, maxAttempts}`; schedule_paused `{pausedReason, message}`; occurrences_missed `{count, approximate, from, to}`; budget_exceeded `{scope, capUsd, spentUsd}`; test `{message}`. */
  detail: Record<string, unknown>;
}

/** Cuts a result to RESULT_MAX_CHARS. */
export function clipResult(result: string | null): string | null {
  if (result == null) return null;
  return result.length > RESULT_MAX_CHARS ? `${result.slice(0, RESULT_MAX_CHARS)}…` : result;
}

const TITLES: Record<NotificationPayload["type"], string> = {
  task_failed: "failed",
  task_recovered: "recovered",
  schedule_paused: "was paused",
  occurrences_missed: "missed occurrences",
  budget_exceeded: "exceeded its budget",
  task_succeeded: "succeeded",
  test: "Test notification",
};

/** A title and a few lines of plain text for Slack and email. */
export function describeNotification(p: NotificationPayload): { title: string; lines: string[] } {
  const who = p.schedule ? `Schedule "${p.schedule.name}"` : "Agentcron";
  const title = p.type === "test" ? TITLES.test : `${who} ${TITLES[p.type]}`;
  const d = p.detail;
  const lines: string[] = [];
  if (typeof d.message === "string") lines.push(d.message);
  if (p.task) {
    if (p.task.failureReason) lines.push(`Failure: ${p.task.failureReason}${typeof d.error === "string" && d.error ? ` — ${d.error.slice(0, 500)}` : ""}`);
    if (p.task.result) lines.push(`Result:\n${p.task.result}`);
    if (p.task.costUsd != null) lines.push(`Cost: $${p.task.costUsd.toFixed(4)}`);
    lines.push(`Task ${p.task.id}`);
  }
  if (p.type === "occurrences_missed") lines.push(`${d.approximate ? "About " : ""}${String(d.count)} missed between ${String(d.from)} and ${String(d.to)}`);
  if (p.type === "budget_exceeded") lines.push(`Cap ($${String(d.capUsd)}, ${String(d.scope)}) reached: spent $${String(d.spentUsd)}`);
  if (p.type === "schedule_paused" && typeof d.pausedReason === "string") lines.push(`Reason: ${d.pausedReason}`);
  return { title, lines };
}
