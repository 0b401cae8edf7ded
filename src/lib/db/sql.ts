import "server-only";
/**
 * The data layer's building blocks (issue 14, ADR 0011). Query modules in `./queries/` use
 * these and nothing else to reach the database, so every statement:
 *   - runs on the handle it was given (`tx` inside `withTransaction`, never the outer `db`);
 *   - waits for another flow's open SQLite transaction instead of joining it (`exec`);
 *   - is written once for both dialects: tables come from `tablesOf(db)` (schema.ts on
 *     SQLite, schema-pg.ts on PostgreSQL; identical row types), and the few constructs the
 *     dialects spell differently go through `dialectSql` / the helpers below.
 *
 * Shapes: drizzle builders resolve to rows (select, `.returning()`); `affected` counts the
 * rows an insert/update/delete without `.returning()` touched.
 */
import { sql, type SQL, type SQLWrapper } from "drizzle-orm";
import pg from "pg";
import { exec, type Db } from "./client";
import { cachedQuery, sqliteCall } from "./prepared";
import * as sqliteSchema from "./schema";
import * as pgSchema from "./schema-pg";

/** The table set of a dialect, typed as SQLite's (the row types are the same: pg-schema-types.test.ts). */
export type Tables = typeof sqliteSchema;

/**
 * The tables to build queries with on this handle: `schema.ts` on SQLite, `schema-pg.ts` on
 * PostgreSQL. A SQLite table object on a pg handle writes but can't read jsonb (ADR 0010).
 */
export function tablesOf(db: Db): Tables {
  return (db.$dialect === "pg" ? pgSchema : sqliteSchema) as unknown as Tables;
}

/** Runs a drizzle builder (select / insert / update / delete, with or without `.returning()`) and resolves its result. */
export function run<T>(db: Db, query: PromiseLike<T>): Promise<T> {
  return exec(db, query);
}

/** The first row of a select (add `.limit(1)`), or undefined. */
export async function first<T>(db: Db, query: PromiseLike<T[]>): Promise<T | undefined> {
  const rows = await exec(db, query);
  return rows[0];
}

/**
 * Rows an insert/update/delete (without `.returning()`) changed. SQLite's result is
 * better-sqlite3's RunResult (`changes`); PostgreSQL's is pg's QueryResult (`rowCount`).
 */
export async function affected(db: Db, query: PromiseLike<unknown>): Promise<number> {
  const res = (await exec(db, query)) as { changes?: number; rowCount?: number | null };
  return res.changes ?? res.rowCount ?? 0;
}

/**
 * Rows of a raw `sql` statement (for what the builder can't say: window functions, CTEs,
 * conditional counts). Alias every column to its camelCase field (`AS "scheduleId"`);
 * integers arrive as numbers on both dialects (pg.ts installs the int8 parser).
 */
export async function rows<T>(db: Db, statement: SQL): Promise<T[]> {
  if (db.$dialect === "pg") {
    const res = await exec(db, (db as unknown as { execute(q: SQL): Promise<{ rows: T[] }> }).execute(statement));
    return res.rows;
  }
  return sqliteCall(db, () => db.all<T>(statement));
}

/**
 * PostgreSQL: rows of a raw `sql` statement run as a NAMED prepared statement on the
 * handle's connection (a transaction's own, or the pool's), so the connection parses and
 * plans it once, not on every call — for statements every drain runs (the batch claim). The
 * name is `ac_<key>_<hash of the text>`: a text that varies gets its own statement rather
 * than node-postgres' "Prepared statements must be unique" error. Aliasing as in {@link rows}.
 * @throws Error on a SQLite handle (use `prepared()` there).
 */
export async function namedRows<T>(db: Db, key: string, statement: SQL): Promise<T[]> {
  if (db.$dialect !== "pg") throw new Error("namedRows is PostgreSQL's: SQLite prepares with prepared()");
  // drizzle's pg database and transaction objects carry their dialect and session (the
  // session's client is the pool, or the transaction's PoolClient).
  const orm = db as unknown as {
    dialect: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } };
    session: { client: { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }> } };
  };
  const q = orm.dialect.sqlToQuery(statement);
  const res = await exec(db, orm.session.client.query({ name: `ac_${key}_${fnv1a(q.sql)}`, text: q.sql, values: q.params }));
  return res.rows;
}

/** pg's own parameter-to-text conversion (arrays as `{…}` literals, objects as JSON); untyped in @types/pg. */
const pgPrepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;

/** The statement that takes the transaction-level advisory lock `lockKey` (a signed 64-bit key). */
function xactLockText(lockKey: bigint): string {
  return `SELECT pg_advisory_xact_lock(${BigInt.asIntN(64, lockKey).toString()}::bigint)`;
}

/**
 * PostgreSQL: takes the transaction-level advisory lock `lockKey` on a transaction's handle;
 * it is released when that transaction commits or rolls back. Idempotent within a transaction
 * (pg counts re-entries and releases them all at its end).
 * @throws Error on a handle outside a transaction (the lock would end with its statement).
 */
export async function lockInTransaction(tx: Db, lockKey: bigint): Promise<void> {
  if (!tx.$inTx) throw new Error("an advisory transaction lock needs a transaction handle");
  await rows(tx, sql.raw(xactLockText(lockKey)));
}

/** SQL-level prepared statements (PREPARE) each pooled connection holds, by name (rowsUnderLock). */
const sessionPrepared = new WeakMap<object, Set<string>>();

/**
 * PostgreSQL: takes the transaction-level advisory lock `lockKey`, then runs `statement`, and
 * returns its rows (aliasing as in {@link rows}). Outside a transaction this is ONE round trip:
 * a simple-protocol query `SELECT pg_advisory_xact_lock(k); EXECUTE acl_<key>_<hash>(literals)`
 * whose two statements form one implicit transaction, so the lock is held only while the
 * server runs the statement and commits — not across the client's round trips for BEGIN,
 * the statement and COMMIT (ADR 0032: with 4 runners on 2 cores, a runner descheduled while
 * holding the cap's lock stalled every other runner's claim). In READ COMMITTED each statement
 * of the query takes its own snapshot, so the statement sees everything committed before the
 * lock was granted (the cap's rule, ADR 0012). The statement is PREPAREd once per pooled
 * connection (planned once, like {@link namedRows}); its parameters are sent as escaped
 * literals (pg's `prepareValue` + `escapeLiteral`: the same text forms the extended protocol
 * sends). Inside a transaction (`db.$inTx`): the lock, then the statement, on that
 * transaction's connection (held to its commit). On an error the implicit transaction rolls
 * back and the connection is discarded.
 * @throws Error on a SQLite handle; pg's error for the statement.
 */
export async function rowsUnderLock<T>(db: Db, key: string, lockKey: bigint, statement: SQL): Promise<T[]> {
  if (db.$dialect !== "pg") throw new Error("rowsUnderLock is PostgreSQL's: SQLite serializes writers");
  if (db.$inTx) {
    await lockInTransaction(db, lockKey);
    return namedRows<T>(db, key, statement);
  }
  const lock = xactLockText(lockKey);
  const orm = db as unknown as { dialect: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } }; $client: pg.Pool };
  const q = orm.dialect.sqlToQuery(statement);
  const name = `acl_${key.replace(/[^a-z0-9_]/gi, "_")}_${fnv1a(q.sql)}`;
  const args = q.params.map((v) => {
    const text = pgPrepareValue(v);
    return text == null ? "NULL" : pg.escapeLiteral(String(text));
  });
  const client = await orm.$client.connect();
  let broken: Error | undefined;
  try {
    let names = sessionPrepared.get(client);
    if (!names) sessionPrepared.set(client, (names = new Set()));
    if (!names.has(name)) {
      await client.query(`PREPARE ${name} AS ${q.sql}`);
      names.add(name);
    }
    const results = (await client.query(`${lock}; EXECUTE ${name}(${args.join(", ")})`)) as unknown as pg.QueryResult[];
    return results[1].rows as T[];
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** 32-bit FNV-1a of a string, hex: names a statement text (not a security hash). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/** Rows a raw `sql` insert/update/delete changed. */
export async function execute(db: Db, statement: SQL): Promise<number> {
  if (db.$dialect === "pg") {
    const res = await exec(db, (db as unknown as { execute(q: SQL): Promise<{ rowCount: number | null }> }).execute(statement));
    return res.rowCount ?? 0;
  }
  return sqliteCall(db, () => db.run(statement).changes);
}

/**
 * A hot select, built once with `sql.placeholder(...)`s and run with `params`. SQLite: the
 * statement is prepared once per connection (keyed by `key`) — a pass that prepares
 * statements again costs milliseconds at scale (issue 15). PostgreSQL, outside a
 * transaction: built once per pool and run as the NAMED prepared statement `ac_<key>`, so
 * each pooled connection parses and plans it once (the drain read spent 1.1 ms planning per
 * call, 2026-12-03); `build` must give the same text every time (placeholders, no inlined
 * values) — node-postgres throws on one name with two texts. Inside a transaction (a new
 * handle each time): built per call and run unnamed, on that transaction's connection.
 */
export async function preparedAll<T>(
  db: Db,
  key: string,
  build: (db: Db) => { prepare(): { all(params?: Record<string, unknown>): T[] } },
  params: Record<string, unknown> = {},
): Promise<T[]> {
  if (db.$dialect === "pg") {
    type PgBuilder = { prepare(name: string): PgPrepared; execute(params?: Record<string, unknown>): Promise<T[]> };
    type PgPrepared = { execute(params?: Record<string, unknown>): Promise<T[]> };
    const query: PgPrepared = db.$inTx
      ? (build(db) as unknown as PgBuilder)
      : cachedQuery(db, `preparedAll:${key}`, () => (build(db) as unknown as PgBuilder).prepare(`ac_${key}`));
    return exec(db, { then: (ok, fail) => query.execute(params).then(ok, fail) });
  }
  const statement = cachedQuery(db, `preparedAll:${key}`, () => build(db).prepare());
  return sqliteCall(db, () => statement.all(params));
}

/** Picks the spelling of a construct for this handle's dialect. */
export function dialectSql(db: Db, spelled: { sqlite: SQL; pg: SQL }): SQL {
  return db.$dialect === "pg" ? spelled.pg : spelled.sqlite;
}

/** The larger of two values: SQLite's scalar `max(a, b)`, PostgreSQL's `greatest(a, b)`. */
export function greatest(db: Db, a: SQLWrapper | number, b: SQLWrapper | number): SQL<number> {
  return (db.$dialect === "pg" ? sql`greatest(${a}, ${b})` : sql`max(${a}, ${b})`) as SQL<number>;
}

/** The smaller of two values: SQLite's scalar `min(a, b)`, PostgreSQL's `least(a, b)`. */
export function least(db: Db, a: SQLWrapper | number, b: SQLWrapper | number): SQL<number> {
  return (db.$dialect === "pg" ? sql`least(${a}, ${b})` : sql`min(${a}, ${b})`) as SQL<number>;
}

/**
 * A top-level field of a JSON column as text or number: SQLite `json_extract(col, '$.key')`,
 * PostgreSQL `(col ->> 'key')` (cast with `::numeric` by the caller when compared as a number:
 * use `jsonNumber`).
 */
export function jsonText(db: Db, column: SQLWrapper, key: string): SQL<string | null> {
  return (db.$dialect === "pg" ? sql`(${column} ->> ${sql.raw(`'${key.replace(/'/g, "''")}'`)})` : sql`json_extract(${column}, ${sql.raw(`'$.${key.replace(/'/g, "''")}'`)})`) as SQL<string | null>;
}

/** A top-level numeric field of a JSON column (see `jsonText`). */
export function jsonNumber(db: Db, column: SQLWrapper, key: string): SQL<number | null> {
  return (db.$dialect === "pg" ? sql`((${column} ->> ${sql.raw(`'${key.replace(/'/g, "''")}'`)})::double precision)` : sql`json_extract(${column}, ${sql.raw(`'$.${key.replace(/'/g, "''")}'`)})`) as SQL<number | null>;
}

/**
 * True when `err` is a unique-constraint violation (SQLite `SQLITE_CONSTRAINT_UNIQUE` /
 * `_PRIMARYKEY`; PostgreSQL 23505, which drizzle wraps in `DrizzleQueryError.cause`).
 * `constraint`, when given, must be named by the error (pg) or appear in its message (SQLite
 * names the columns: pass a column list such as "schedules.name").
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; message?: string; constraint?: string; cause?: unknown } | null;
  if (!e) return false;
  if (e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return !constraint || (e.message ?? "").includes(constraint);
  }
  if (e.code === "23505") return !constraint || e.constraint === constraint || (e.message ?? "").includes(constraint);
  return e.cause ? isUniqueViolation(e.cause, constraint) : false;
}

/**
 * The message to report for a failed statement: the driver's own (SQLite's, or PostgreSQL's
 * such as a trigger's RAISE text), not drizzle's `Failed query: <sql> params: …` wrapper,
 * whose driver error is its `cause`. Any other error's message as is.
 */
export function dbErrorMessage(err: unknown): string {
  const e = err as { message?: unknown; cause?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(err);
  if (message.startsWith("Failed query:") && e?.cause) return dbErrorMessage(e.cause);
  return message;
}
