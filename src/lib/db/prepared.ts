import "server-only";
import type Database from "better-sqlite3";
import { exec, type Db } from "./client";

/**
 * SQLite-only prepared statements for the scheduler's hot paths (the slot claim, the drain,
 * the planner's inserts), compiled once per connection. Lives in the data layer: no module
 * outside `src/lib/db/` prepares statements or touches `$client` (issue 14). A WeakMap keyed
 * by the better-sqlite3 handle: two connections (two runners sharing one file in tests)
 * each get their own statements.
 */
const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * The statement for `text` on this SQLite connection, prepared on first use. Run it through
 * `sqliteCall` so it waits for another flow's open transaction.
 * @throws Error on a PostgreSQL handle (write the statement with the builder or `rows`/`execute` there).
 */
export function prepared(db: Db, text: string): Database.Statement {
  if (db.$dialect !== "sqlite") throw new Error("prepared() is SQLite-only: use the data layer's builder on PostgreSQL");
  let perDb = cache.get(db.$client);
  if (!perDb) {
    perDb = new Map();
    cache.set(db.$client, perDb);
  }
  let stmt = perDb.get(text);
  if (!stmt) {
    stmt = db.$client.prepare(text);
    perDb.set(text, stmt);
  }
  return stmt;
}

const queryCache = new WeakMap<object, Map<string, unknown>>();

/**
 * A drizzle prepared query (built with `sql.placeholder`) cached per connection under
 * `key`, so hot paths skip query building and SQLite's prepare on every call. On PostgreSQL
 * only for the pool's root handle (sql.ts preparedAll): a transaction handle is a different
 * object each time, so nothing would be reused.
 */
export function cachedQuery<T>(db: Db, key: string, build: () => T): T {
  const owner = db.$client as object;
  let perDb = queryCache.get(owner);
  if (!perDb) {
    perDb = new Map();
    queryCache.set(owner, perDb);
  }
  if (!perDb.has(key)) perDb.set(key, build());
  return perDb.get(key) as T;
}

/**
 * Runs a synchronous better-sqlite3 call as one data-layer statement: on a root handle it
 * first waits for another flow's open transaction (client.ts `TxGate`), so the statement
 * can't become part of it. Resolves `fn`'s result.
 */
export async function sqliteCall<T>(db: Db, fn: () => T): Promise<T> {
  // A thenable that runs `fn` when awaited, so after exec's wait for the gate, not before.
  return exec(db, { then: (ok, fail) => new Promise<T>((resolve) => resolve(fn())).then(ok, fail) });
}
