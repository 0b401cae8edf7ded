import type { EventKind } from "../db/constants";

/**
 * One activity-log entry as recordEvent (events/log.ts) writes it, and as the notifier
 * (notifications/enqueue.ts notifyLoggedEvent) reads it in the same transaction. A leaf module
 * so both can import it without a cycle.
 */
export interface NewEvent {
  kind: EventKind;
  message: string;
  scheduleId?: string | null;
  taskId?: string | null;
  data?: Record<string, unknown> | null;
  /** UTC ms. */
  createdAt: number;
}
