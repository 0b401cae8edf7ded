import "server-only";
import { and, desc, eq, lt } from "drizzle-orm";
import type { EventKind } from "../db/constants";
import type { Db } from "../db/client";
import { events, type EventRow } from "../db/schema";
import { toIso } from "../time/clock";

/** A drizzle database or the transaction handle passed to `db.transaction(cb)`. */
export type DbOrTx = Pick<Db, "insert" | "select" | "update" | "delete">;

export interface NewEvent {
  kind: EventKind;
  message: string;
  scheduleId?: string | null;
  taskId?: string | null;
  data?: Record<string, unknown> | null;
  /** UTC ms. */
  createdAt: number;
}

/** Appends one row to the activity/audit log. Call it inside the transaction of the change it records. */
export async function recordEvent(db: DbOrTx, e: NewEvent): Promise<void> {
  db.insert(events)
    .values({
      kind: e.kind,
      message: e.message,
      scheduleId: e.scheduleId ?? null,
      taskId: e.taskId ?? null,
      data: e.data ?? null,
      createdAt: e.createdAt,
    })
    .run();
}

/** A schedule's events, newest first; `beforeId` pages backwards. */
export async function listScheduleEvents(db: Db, scheduleId: string, limit = 100, beforeId?: number): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.scheduleId, scheduleId), beforeId ? lt(events.id, beforeId) : undefined))
    .orderBy(desc(events.id))
    .limit(limit)
    .all();
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
