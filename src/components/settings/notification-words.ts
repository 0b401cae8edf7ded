/** Words for the notification events (Settings → Notifications, the schedule sheet). */
import type { NotificationEvent } from "@/lib/db/constants";

export const NOTIFICATION_EVENT_WORDS: Record<NotificationEvent | "test", { label: string; detail: string }> = {
  task_failed: { label: "Failed", detail: "Once per streak, when a run fails for good (not while a retry is pending)." },
  task_recovered: { label: "Recovered", detail: "The first success after a notified failure." },
  schedule_paused: { label: "Paused automatically", detail: "After repeated failures or turn-budget breaches, with the reason." },
  occurrences_missed: { label: "Missed occurrences", detail: "Occurrences that came due while Agentcron was not running." },
  budget_exceeded: { label: "Budget exceeded", detail: "A cost cap stopped or skipped a run." },
  task_succeeded: { label: "Every success", detail: "Each successful run, with its result (quiet runs excepted)." },
  test: { label: "Test", detail: "Sent with “Send test”." },
};
