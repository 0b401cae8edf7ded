/**
 * Reads for assertions, on either dialect: `await rowsOf("events")` is every row of that
 * table through the data layer (tablesOf picks SQLite's or PostgreSQL's table).
 */
import { getDb, type Db } from "@/lib/db/client";
import { run, tablesOf, type Tables } from "@/lib/db/sql";

type TableName = "tasks" | "schedules" | "runtimes" | "events" | "taskEvents" | "settings" | "runners" | "chatConversations" | "chatMessages" | "scheduleFiringMetrics";
type RowOf<K extends TableName> = Tables[K]["$inferSelect"];

/** Every row of a table (no order guaranteed: sort in the test). */
export async function rowsOf<K extends TableName>(name: K, db: Db = getDb()): Promise<RowOf<K>[]> {
  const table = tablesOf(db)[name];
  return (await run(db, db.select().from(table as never))) as RowOf<K>[];
}
