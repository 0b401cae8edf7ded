import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { cachedQuery, sqliteCall } from "../prepared";
import type { ScheduleRow, TaskRow } from "../schema";
import { affected, first, run, tablesOf } from "../sql";

/**
 * One task row by id, or undefined. SQLite: a drizzle query prepared once per connection
 * (the scheduler reads a task on every claim and terminal write).
 */
export async function selectTaskById(db: Db, id: string): Promise<TaskRow | undefined> {
  const { tasks } = tablesOf(db);
  if (db.$dialect === "sqlite") {
    const q = cachedQuery(db, "task-by-id", () => db.select().from(tasks).where(eq(tasks.id, sql.placeholder("id"))).prepare());
    return sqliteCall(db, () => q.get({ id }));
  }
  return first(db, db.select().from(tasks).where(eq(tasks.id, id)).limit(1));
}

/** One schedule row by id, or undefined (SQLite: prepared once per connection). */
export async function selectScheduleById(db: Db, id: string): Promise<ScheduleRow | undefined> {
  const { schedules } = tablesOf(db);
  if (db.$dialect === "sqlite") {
    const q = cachedQuery(db, "schedule-by-id", () => db.select().from(schedules).where(eq(schedules.id, sql.placeholder("id"))).prepare());
    return sqliteCall(db, () => q.get({ id }));
  }
  return first(db, db.select().from(schedules).where(eq(schedules.id, id)).limit(1));
}

/**
 * Inserts a task row with `ON CONFLICT DO NOTHING` (the occurrence unique index,
 * invariant 1: one root task per (scheduleId, plannedAt)). Returns true when the row was
 * inserted, false when the occurrence already had its root task.
 */
export async function insertTaskIfAbsent(db: Db, row: TaskRow): Promise<boolean> {
  const { tasks } = tablesOf(db);
  return (await affected(db, db.insert(tasks).values(row).onConflictDoNothing())) === 1;
}

/** Inserts a task row (a retry child, a manual run); throws on a unique violation. */
export async function insertTask(db: Db, row: TaskRow): Promise<void> {
  const { tasks } = tablesOf(db);
  await run(db, db.insert(tasks).values(row));
}
