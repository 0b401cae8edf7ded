import "server-only";
/** Reads of GET /api/scheduler/status (status.ts), both dialects. Times are UTC ms. */
import { desc, eq, inArray, min, and, isNotNull } from "drizzle-orm";
import type { Db } from "../client";
import type { EventRow } from "../schema";
import { first, tablesOf } from "../sql";

/** The earliest next fire among active schedules, or null. */
export async function selectEarliestActiveFire(db: Db): Promise<number | null> {
  const { schedules } = tablesOf(db);
  const row = await first(db, db.select({ t: min(schedules.nextFireAt) }).from(schedules).where(and(eq(schedules.status, "active"), isNotNull(schedules.nextFireAt))).limit(1));
  return row?.t ?? null;
}

/** The newest `clock_stepped` / `system_resumed` event (data as stored JSON), or undefined. */
export async function selectLastClockEvent(db: Db): Promise<Pick<EventRow, "kind" | "message" | "data" | "createdAt"> | undefined> {
  const { events } = tablesOf(db);
  return first(
    db,
    db
      .select({ kind: events.kind, message: events.message, data: events.data, createdAt: events.createdAt })
      .from(events)
      .where(inArray(events.kind, ["clock_stepped", "system_resumed"]))
      .orderBy(desc(events.id))
      .limit(1),
  );
}
