import "server-only";
import type { Db } from "../db/client";
import { insertEvent, selectScheduleEvents } from "../db/queries/events";
import type { EventRow } from "../db/schema";
import { toIso } from "../time/clock";
import type { NewEvent } from "./types";
import { notifyLoggedEvent } from "../notifications/enqueue";

/** The data-layer handle: the root `db` or the `tx` of `withTransaction`. */
export type DbOrTx = Db;

export type { NewEvent };

/**
 * Appends one row to the activity/audit log. Call it inside the transaction of the change it
 * records: kinds that notify (auto_paused, missed_occurrences, budget_exceeded …) write their
 * notification outbox rows in the same transaction (notifications/enqueue.ts notifyLoggedEvent).
 */
export async function recordEvent(db: DbOrTx, e: NewEvent): Promise<void> {
  await insertEvent(db, {
    kind: e.kind,
    message: e.message,
    scheduleId: e.scheduleId ?? null,
    taskId: e.taskId ?? null,
    data: e.data ?? null,
    createdAt: e.createdAt,
  });
  await notifyLoggedEvent(db, e);
}

/** A schedule's events, newest first; `beforeId` pages backwards. */
export async function listScheduleEvents(db: Db, scheduleId: string, limit = 100, beforeId?: number): Promise<EventRow[]> {
  return selectScheduleEvents(db, scheduleId, limit, beforeId);
}

/** API shape of an event row. */
export function serializeEvent(e: EventRow) {
  return {
    id: e.id,
    kind: e.kind,
    scheduleId: e.scheduleId,
    taskId: e.taskId,
    message: e.message,
    data: e.data,
    createdAt: toIso(e.createdAt),
  };
}
