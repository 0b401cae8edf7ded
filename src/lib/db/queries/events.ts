import "server-only";
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "../client";
import type { EventKind } from "../constants";
import type { EventRow } from "../schema";
import { run, tablesOf } from "../sql";

/** A row to append to the activity/audit log (`events`). */
export interface NewEventRow {
  kind: EventKind;
  message: string;
  scheduleId: string | null;
  taskId: string | null;
  data: Record<string, unknown> | null;
  /** UTC ms. */
  createdAt: number;
}

/** Appends one event row. */
export async function insertEvent(db: Db, row: NewEventRow): Promise<void> {
  const { events } = tablesOf(db);
  await run(db, db.insert(events).values(row));
}

/** A schedule's events, newest first; `beforeId` pages backwards (ids below it). */
export async function selectScheduleEvents(db: Db, scheduleId: string, limit: number, beforeId?: number): Promise<EventRow[]> {
  const { events } = tablesOf(db);
  return run(
    db,
    db
      .select()
      .from(events)
      .where(and(eq(events.scheduleId, scheduleId), beforeId ? lt(events.id, beforeId) : undefined))
      .orderBy(desc(events.id))
      .limit(limit),
  );
}
