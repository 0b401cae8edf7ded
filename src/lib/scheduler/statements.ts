import "server-only";
import type Database from "better-sqlite3";
import { eq, getTableColumns, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { schedules, tasks, type ScheduleRow, type TaskRow } from "../db/schema";

/**
 * Prepared statements of the scheduler's hot paths, compiled once per connection.
 * A WeakMap keyed by the better-sqlite3 handle: two connections (two runners sharing one
 * file in tests) each get their own statements.
 */
const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** The statement for `sql` on this connection, prepared on first use. */
export function prepared(db: Db, sql: string): Database.Statement {
  let perDb = cache.get(db.$client);
  if (!perDb) {
    perDb = new Map();
    cache.set(db.$client, perDb);
  }
  let stmt = perDb.get(sql);
  if (!stmt) {
    stmt = db.$client.prepare(sql);
    perDb.set(sql, stmt);
  }
  return stmt;
}

const queryCache = new WeakMap<Database.Database, Map<string, unknown>>();

/**
 * A drizzle prepared query (built with `sql.placeholder`) cached per connection under
 * `key`, so hot paths skip query building and SQLite's prepare on every call.
 */
export function cachedQuery<T>(db: Db, key: string, build: () => T): T {
  let perDb = queryCache.get(db.$client);
  if (!perDb) {
    perDb = new Map();
    queryCache.set(db.$client, perDb);
  }
  if (!perDb.has(key)) perDb.set(key, build());
  return perDb.get(key) as T;
}

/** One task row by id (drizzle-typed, prepared once per connection). */
export async function selectTaskById(db: Db, id: string): Promise<TaskRow | undefined> {
  return cachedQuery(db, "task-by-id", () => db.select().from(tasks).where(eq(tasks.id, sql.placeholder("id"))).prepare()).get({ id });
}

/** One schedule row by id (drizzle-typed, prepared once per connection). */
export async function selectScheduleById(db: Db, id: string): Promise<ScheduleRow | undefined> {
  return cachedQuery(db, "schedule-by-id", () => db.select().from(schedules).where(eq(schedules.id, sql.placeholder("id"))).prepare()).get({ id });
}

const taskColumns = Object.entries(getTableColumns(tasks)).map(([key, col]) => ({ key, name: col.name }));
const INSERT_TASK_SQL = `INSERT INTO tasks (${taskColumns.map((c) => c.name).join(", ")}) VALUES (${taskColumns
  .map((c) => `@${c.key}`)
  .join(", ")}) ON CONFLICT DO NOTHING`;

/**
 * Inserts a task row with `ON CONFLICT DO NOTHING` (the occurrence unique index,
 * invariant 1). Returns true when the row was inserted, false when the occurrence
 * already had its root task.
 */
export async function insertTaskIfAbsent(db: Db, row: TaskRow): Promise<boolean> {
  const params: Record<string, unknown> = {};
  for (const { key } of taskColumns) {
    const v = (row as Record<string, unknown>)[key];
    params[key] = typeof v === "boolean" ? (v ? 1 : 0) : (v ?? null);
  }
  return prepared(db, INSERT_TASK_SQL).run(params).changes === 1;
}
