import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { env } from "../env";
import { processSingleton, resetProcessSingleton } from "../process-singleton";
import { migrationsFolderFor, type Dialect } from "./migrations-folder";
import { closePgDatabase, isPostgresUrl, migratePgDatabase, openPgDatabase, type PgDb, type PgOpenOptions } from "./pg";
import * as schema from "./schema";
import { installStatementCache } from "./statement-cache";

export type { Dialect };

/**
 * The data layer's handle. Typed as drizzle's SQLite database so query code is written once
 * (ADR 0010); `$dialect` says which engine is behind it. `$inTx` is true on the handle a
 * `withTransaction` callback receives: everything inside a transaction uses that handle.
 */
export type Db = BetterSQLite3Database<typeof schema> & {
  $client: Database.Database;
  readonly $dialect: Dialect;
  readonly $inTx: boolean;
  /** SQLite only: serializes async transactions on the process's one connection. */
  readonly $gate: TxGate;
};

/**
 * A FIFO async mutex. SQLite has one connection per process, so an async transaction must
 * not let another flow's statement land inside it (that statement would commit or roll back
 * with it): `withTransaction` holds the gate, and `exec` makes root statements wait for it.
 */
export class TxGate {
  private readonly waiters: Array<() => void> = [];
  private busy = false;

  /** True while a transaction holds the connection. */
  get held(): boolean {
    return this.busy;
  }

  /** Resolves when this caller holds the gate (FIFO). */
  acquire(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Hands the gate to the next waiter, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.busy = false;
  }
}

function withHandleProps(orm: object, props: { $dialect: Dialect; $inTx: boolean; $gate: TxGate }): Db {
  for (const [key, value] of Object.entries(props)) Object.defineProperty(orm, key, { value, enumerable: false });
  return orm as Db;
}

const txHandles = new WeakMap<Db, Db>();

/**
 * Runs `fn` in one transaction and returns its result; commits when it resolves, rolls back
 * and rethrows when it rejects. `fn` gets the transaction's handle and must use it (never the
 * outer `db`) for every statement, and must not await anything but the database inside (a
 * SQLite transaction holds the file's write lock: `BEGIN IMMEDIATE`, so other processes wait
 * up to busy_timeout). Called with a handle that is already in a transaction, `fn` runs in
 * a savepoint of it: a failure rolls back only that savepoint's writes.
 *
 * SQLite: the connection's gate is held for the whole transaction (see `TxGate`).
 * PostgreSQL: drizzle's transaction on one pooled client, READ COMMITTED.
 * @throws whatever `fn` throws; SQLITE_BUSY when another process holds the write lock longer
 *   than busy_timeout (5 s).
 */
export async function withTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.$dialect === "pg") {
    // drizzle nests a transaction on a transaction handle as a savepoint.
    const pgLike = db as unknown as { transaction(cb: (tx: object) => Promise<T>): Promise<T> };
    return pgLike.transaction((tx) => fn(withHandleProps(tx, { $dialect: "pg", $inTx: true, $gate: db.$gate })));
  }
  if (db.$inTx) return withSavepoint(db, fn);
  await db.$gate.acquire();
  try {
    let tx = txHandles.get(db);
    if (!tx) {
      tx = withHandleProps(Object.create(db), { $dialect: "sqlite", $inTx: true, $gate: db.$gate });
      txHandles.set(db, tx);
    }
    db.$client.exec("BEGIN IMMEDIATE");
    try {
      const result = await fn(tx);
      db.$client.exec("COMMIT");
      return result;
    } catch (err) {
      if (db.$client.inTransaction) db.$client.exec("ROLLBACK");
      throw err;
    }
  } finally {
    db.$gate.release();
  }
}

let savepointSeq = 0;

/** SQLite: a nested `withTransaction` is a savepoint, so its failure undoes only its own writes. */
async function withSavepoint<T>(tx: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  const name = `sp_${++savepointSeq}`;
  tx.$client.exec(`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    tx.$client.exec(`RELEASE ${name}`);
    return result;
  } catch (err) {
    if (tx.$client.inTransaction) tx.$client.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
    throw err;
  }
}

/**
 * Executes one statement of the data layer: `await exec(db, db.select()…)`. On a SQLite
 * root handle it first waits for an open transaction of another flow to end, so the
 * statement can't become part of it. Drizzle builders run when awaited, so the statement
 * executes after the wait.
 */
export async function exec<T>(db: Db, query: PromiseLike<T>): Promise<T> {
  if (!db.$inTx && db.$gate.held) {
    await db.$gate.acquire();
    db.$gate.release();
  }
  return await query;
}

const KEY = "db";

/**
 * The data directory: `AGENTCRON_DATA_DIR`, default `./data` (relative to the working
 * directory). Created if missing.
 * @throws Error naming the directory when it cannot be created or is not writable.
 */
export function resolveDataDir(): string {
  const dir = path.resolve(/* turbopackIgnore: true */ env().AGENTCRON_DATA_DIR);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new Error(
      `Agentcron data directory ${dir} is not writable (${(err as Error).message}). ` +
        `Set AGENTCRON_DATA_DIR to a writable directory.`,
    );
  }
  return dir;
}

/** Path of the SQLite file: `<dataDir>/agentcron.db`. */
export function databasePath(): string {
  return path.join(/* turbopackIgnore: true */ resolveDataDir(), "agentcron.db");
}

/** Folder of drizzle-kit's SQLite migrations (`drizzle/sqlite`, ADR 0010). */
export function migrationsFolder(): string {
  return migrationsFolderFor("sqlite");
}

/**
 * Opens a SQLite file with the pragmas every connection needs: auto_vacuum INCREMENTAL for
 * a new file (retention gives pages back, ADR 0018), WAL (readers never
 * block the writer), busy_timeout 5000 ms (two processes sharing one file wait instead
 * of failing with SQLITE_BUSY), foreign_keys ON.
 */
export function openDatabase(file: string): Db {
  const sqlite = new Database(file);
  // Takes effect on a new (empty) file only; existing files are converted at boot (retention/maintenance.ts).
  sqlite.pragma("auto_vacuum = INCREMENTAL");
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");
  installStatementCache(sqlite);
  return withHandleProps(drizzle(sqlite, { schema }), { $dialect: "sqlite", $inTx: false, $gate: new TxGate() });
}

/** Closes a SQLite handle from openDatabase (CLIs and tests that open their own file). */
export function closeDatabase(db: Db): void {
  if (db.$dialect !== "sqlite") throw new Error("closeDatabase closes SQLite handles; PostgreSQL pools close with closeDb()");
  db.$client.close();
}

/** Applies every pending migration in `drizzle/sqlite`. Idempotent. */
export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: migrationsFolder() });
}

/**
 * Opens a PostgreSQL database as a data-layer handle (`url`: postgres://…). Its migrations
 * run in the background: `ready` resolves when they are applied (await it before the first
 * statement: `await dbReady()` at boot).
 */
export function openPgHandle(url: string, options: PgOpenOptions & { migrate?: boolean } = {}): { db: Db; ready: Promise<void> } {
  const orm = openPgDatabase(url, options);
  const ready = options.migrate === false ? Promise.resolve() : migratePgDatabase(orm);
  // A failed migration is reported where `ready` is awaited; don't crash on an unobserved rejection.
  ready.catch(() => {});
  const db = withHandleProps(orm, { $dialect: "pg", $inTx: false, $gate: new TxGate() });
  pgUrls.set(db, url);
  return { db, ready };
}

const pgUrls = new WeakMap<Db, string>();

/** Where a handle's database lives, so another thread of this process can open the same one. */
export type DbLocation = { dialect: "sqlite"; file: string } | { dialect: "pg"; url: string };

/**
 * The location of a root handle's database, or null when no other connection can reach it
 * (an in-memory SQLite database, a handle this module did not open).
 */
export function dbLocation(db: Db): DbLocation | null {
  if (db.$dialect === "pg") {
    const url = pgUrls.get(db);
    return url ? { dialect: "pg", url } : null;
  }
  const file = db.$client.name;
  return file && file !== ":memory:" && !db.$client.memory ? { dialect: "sqlite", file } : null;
}

/**
 * Opens a second connection (SQLite) or a small pool (PostgreSQL, 2 connections) to an
 * already migrated database: the executor host's worker thread writes task events through it.
 * Close it with closeDbAt.
 */
export function openDbAt(location: DbLocation): Db {
  if (location.dialect === "sqlite") return openDatabase(location.file);
  return openPgHandle(location.url, { poolSize: 2, applicationName: "agentcron-executor", migrate: false }).db;
}

/** Closes a handle from openDbAt. */
export async function closeDbAt(db: Db): Promise<void> {
  if (db.$dialect === "pg") await closePgDatabase(db as unknown as PgDb);
  else closeDatabase(db);
}

interface AppDb {
  db: Db;
  ready: Promise<void>;
}

function appDb(): AppDb {
  return processSingleton<AppDb>(KEY, () => {
    const url = env().DATABASE_URL;
    if (isPostgresUrl(url)) return openPgHandle(url);
    const db = openDatabase(databasePath());
    migrateDatabase(db);
    return { db, ready: Promise.resolve() };
  });
}

/**
 * The process's database (cached on globalThis so dev reloads and the separate
 * instrumentation/route bundles share it): PostgreSQL when `DATABASE_URL` is a
 * postgres:// URL, else the SQLite file in the data directory, migrated on first open.
 * On PostgreSQL the migrations are async: `await dbReady()` before the first statement.
 */
export function getDb(): Db {
  return appDb().db;
}

/**
 * Resolves when the process's database is migrated (at once on SQLite).
 * @throws the migration's error (PostgreSQL: pg's connection or SQL error).
 */
export function dbReady(): Promise<void> {
  return appDb().ready;
}

/** Closes the process's connection (SQLite) or pool (PostgreSQL); the next `getDb()` reopens it. */
export async function closeDb(): Promise<void> {
  const store = (globalThis as unknown as { __agentcron?: Map<string, unknown> }).__agentcron;
  const entry = store?.get(KEY) as AppDb | undefined;
  resetProcessSingleton(KEY);
  if (!entry) return;
  if (entry.db.$dialect === "pg") {
    await entry.ready.catch(() => {});
    await closePgDatabase(entry.db as unknown as PgDb);
  } else closeDatabase(entry.db);
}
