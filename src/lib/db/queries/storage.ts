import "server-only";
/**
 * The database as a file (issue 11 items 4–5): its size and approximate row counts, SQLite's
 * incremental vacuum, the online backup and the check that a file is an Agentcron database.
 * Everything here is cheap (page counts, catalog estimates, maintained counters): the
 * dashboard and /api/metrics read it on every refresh/scrape.
 */
import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { prepared, sqliteCall } from "../prepared";
import { execute, rows, run, tablesOf } from "../sql";

/** Tables whose row counts are reported (dashboard, agentcron_db_rows). */
export const COUNTED_TABLES = ["tasks", "task_events", "events", "schedule_firing_metrics", "chat_messages", "schedules"] as const;
export type CountedTable = (typeof COUNTED_TABLES)[number];

export interface StorageStats {
  dialect: "sqlite" | "pg";
  /** Bytes the database takes: SQLite page_count × page_size (the main file), PostgreSQL pg_database_size. */
  sizeBytes: number;
  /** SQLite: bytes of free pages an incremental vacuum can give back (freelist_count × page_size); PostgreSQL: null. */
  freeBytes: number | null;
  /** SQLite auto_vacuum mode: "none" | "full" | "incremental"; PostgreSQL: null (autovacuum). */
  autoVacuum: "none" | "full" | "incremental" | null;
  /**
   * Approximate rows per table: tasks exact (maintained counters), integer-keyed tables from
   * max(id) − min(id) + 1 on SQLite (an upper bound once rows in between are gone), pg_class
   * reltuples on PostgreSQL (as of the last ANALYZE), small tables counted.
   */
  rows: Record<CountedTable, number>;
}

const AUTO_VACUUM = ["none", "full", "incremental"] as const;

/**
 * max(id) − min(id) + 1 as two scalar subqueries: SQLite's MIN/MAX optimization (one seek at
 * an end of the primary key) applies only to a query with a single min() or max(); written as
 * one `SELECT max(id) - min(id)` it walks a whole index (test/history-plans.test.ts).
 */
function idSpan(db: Db, table: "task_events" | "events" | "schedule_firing_metrics"): number {
  const r = prepared(db, `SELECT coalesce((SELECT max(id) FROM ${table}) - (SELECT min(id) FROM ${table}) + 1, 0) AS n`).get() as { n: number };
  return r.n;
}

/** Size and approximate row counts of the database (see StorageStats). A few index lookups. */
export async function selectStorageStats(db: Db): Promise<StorageStats> {
  const { taskStatusCounts } = tablesOf(db);
  const taskRows = await run(db, db.select({ n: sql<number>`coalesce(sum(${taskStatusCounts.n}), 0)` }).from(taskStatusCounts));
  const tasks = Number(taskRows[0]?.n ?? 0);
  if (db.$dialect === "pg") {
    const size = await rows<{ n: number }>(db, sql`SELECT pg_database_size(current_database())::bigint AS "n"`);
    const est = await rows<{ name: string; n: number }>(
      db,
      sql`SELECT c.relname AS "name", greatest(c.reltuples, 0)::bigint AS "n" FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
          WHERE ns.nspname = current_schema() AND c.relkind = 'r' AND c.relname IN (${sql.join(COUNTED_TABLES.map((t) => sql`${t}`), sql`, `)})`,
    );
    const byName = new Map(est.map((r) => [r.name, Number(r.n)]));
    const counted = Object.fromEntries(COUNTED_TABLES.map((t) => [t, byName.get(t) ?? 0])) as Record<CountedTable, number>;
    counted.tasks = tasks;
    return { dialect: "pg", sizeBytes: Number(size[0]?.n ?? 0), freeBytes: null, autoVacuum: null, rows: counted };
  }
  return sqliteCall(db, () => {
    const pageSize = db.$client.pragma("page_size", { simple: true }) as number;
    const pageCount = db.$client.pragma("page_count", { simple: true }) as number;
    const freelist = db.$client.pragma("freelist_count", { simple: true }) as number;
    const mode = db.$client.pragma("auto_vacuum", { simple: true }) as number;
    const small = (table: string) => (prepared(db, `SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      dialect: "sqlite" as const,
      sizeBytes: pageSize * pageCount,
      freeBytes: pageSize * freelist,
      autoVacuum: AUTO_VACUUM[mode] ?? "none",
      rows: {
        tasks,
        task_events: idSpan(db, "task_events"),
        events: idSpan(db, "events"),
        schedule_firing_metrics: idSpan(db, "schedule_firing_metrics"),
        chat_messages: small("chat_messages"),
        schedules: small("schedules"),
      },
    };
  });
}

/**
 * SQLite: gives up to `pages` free pages back to the file system (PRAGMA incremental_vacuum;
 * a no-op unless auto_vacuum is INCREMENTAL). Returns the free pages before and after.
 */
export async function incrementalVacuumStep(db: Db, pages: number): Promise<{ before: number; after: number }> {
  if (db.$dialect !== "sqlite") return { before: 0, after: 0 };
  return sqliteCall(db, () => {
    const before = db.$client.pragma("freelist_count", { simple: true }) as number;
    if (before > 0) db.$client.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
    return { before, after: db.$client.pragma("freelist_count", { simple: true }) as number };
  });
}

/**
 * SQLite: switches the file to auto_vacuum = INCREMENTAL. On an empty file the pragma is
 * enough; on an existing file it takes one VACUUM, which rewrites the whole file under an
 * exclusive lock — so it runs only when the main file is at most `maxBytes` (boot, before
 * the scheduler starts; ADR "retention"). Returns what happened. Also caps the WAL file a
 * bulk delete leaves behind (journal_size_limit, bytes).
 */
export async function ensureIncrementalVacuum(db: Db, maxBytes: number, walLimitBytes: number): Promise<"already" | "converted" | "too_large" | "not_sqlite"> {
  if (db.$dialect !== "sqlite") return "not_sqlite";
  return sqliteCall(db, () => {
    db.$client.pragma(`journal_size_limit = ${Math.floor(walLimitBytes)}`);
    if ((db.$client.pragma("auto_vacuum", { simple: true }) as number) === 2) return "already";
    const bytes = (db.$client.pragma("page_count", { simple: true }) as number) * (db.$client.pragma("page_size", { simple: true }) as number);
    if (bytes > maxBytes) return "too_large";
    db.$client.pragma("auto_vacuum = INCREMENTAL");
    db.$client.exec("VACUUM");
    return "converted";
  });
}

/**
 * SQLite: folds what the WAL holds into the main file without waiting for anyone
 * (`wal_checkpoint(PASSIVE)`: frames a reader still needs stay for later). The executor host's
 * thread runs it every WAL_CHECKPOINT_INTERVAL_MS so the WAL rarely reaches SQLite's
 * auto-checkpoint threshold in a commit of the MAIN thread, where the copy and its fsync would
 * stall the scheduler and the chat (issue 15 item 2). Returns the WAL's frames and how many are
 * now in the main file; null on PostgreSQL.
 */
export async function checkpointWal(db: Db): Promise<{ walFrames: number; checkpointed: number } | null> {
  if (db.$dialect !== "sqlite") return null;
  return sqliteCall(db, () => {
    const [row] = db.$client.pragma("wal_checkpoint(PASSIVE)") as { busy: number; log: number; checkpointed: number }[];
    return { walFrames: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 };
  });
}

/** Pages the online backup copies per step (at 4 KiB pages, 400 KiB: about a millisecond of event loop). */
export const BACKUP_PAGES_PER_STEP = 100;

/**
 * SQLite: writes a consistent snapshot of the live database to `dest` with SQLite's online
 * backup API (better-sqlite3 `backup()`: pages are copied in steps, the event loop runs
 * between them, writes of this connection are carried into the copy, another process's
 * write restarts it). The copy is a self-contained file (journal_mode DELETE, no -wal).
 * @returns bytes written.
 * @throws Error on PostgreSQL (pg_dump is the way there) or when `dest` can't be written.
 */
export async function backupSqliteTo(db: Db, dest: string): Promise<number> {
  if (db.$dialect !== "sqlite") throw new Error("the online backup is SQLite-only; use pg_dump on PostgreSQL");
  // Another process's write restarts the copy (this connection's writes don't). Against a
  // steady writer, each restart makes the steps 4× larger, ending in one step that copies the
  // rest at once (a WAL reader: the writers are not blocked meanwhile).
  let remaining = Number.POSITIVE_INFINITY;
  let rate = BACKUP_PAGES_PER_STEP;
  await db.$client.backup(dest, {
    progress: ({ remainingPages }) => {
      if (remainingPages > remaining) rate = Math.min(0x7fffffff, rate * 4);
      remaining = remainingPages;
      return rate;
    },
  });
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
    const pages = copy.pragma("page_count", { simple: true }) as number;
    return pages * (copy.pragma("page_size", { simple: true }) as number);
  } finally {
    copy.close();
  }
}

/** What `inspectDatabaseFile` found. */
export interface DatabaseFileReport {
  ok: boolean;
  /** Why it is not an Agentcron database (ok false). */
  problem?: string;
  schedules?: number;
  runtimes?: number;
  tasks?: number;
  /** Migrations recorded in the file (drizzle's __drizzle_migrations). */
  migrations?: number;
}

const REQUIRED_TABLES = ["schedules", "runtimes", "tasks", "task_events", "events", "settings", "__drizzle_migrations"];

/**
 * Opens `file` read-only and checks it is an intact Agentcron SQLite database: a SQLite
 * header, `PRAGMA quick_check` = ok, and the tables every Agentcron version has (with the
 * drizzle migrations table). Never throws for a bad file: `ok` false with the problem.
 */
export function inspectDatabaseFile(file: string): DatabaseFileReport {
  let conn: Database.Database;
  try {
    conn = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    return { ok: false, problem: `cannot open it (${(err as Error).message})` };
  }
  try {
    const check = conn.pragma("quick_check", { simple: true });
    if (check !== "ok") return { ok: false, problem: `it is damaged (quick_check: ${String(check)})` };
    const names = new Set((conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = REQUIRED_TABLES.filter((t) => !names.has(t));
    if (missing.length) return { ok: false, problem: `it is not an Agentcron database (no ${missing.join(", ")} table)` };
    const count = (t: string) => (conn.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n;
    return { ok: true, schedules: count("schedules"), runtimes: count("runtimes"), tasks: count("tasks"), migrations: count("__drizzle_migrations") };
  } catch (err) {
    return { ok: false, problem: `it is not a SQLite database (${(err as Error).message})` };
  } finally {
    conn.close();
  }
}

export interface UnstoppedRunner {
  id: string;
  pid: number;
  hostname: string;
  hostKey: string | null;
  processStartTime: number | null;
  heartbeatAt: number;
  kind: string;
}

/** Runner rows that may still be alive: not stopped. (Read from a file, for `npm run restore`.) */
export function selectUnstoppedRunnersInFile(file: string): UnstoppedRunner[] {
  const conn = new Database(file, { readonly: true, fileMustExist: true });
  try {
    conn.pragma("busy_timeout = 5000");
    return conn
      .prepare("SELECT id, pid, hostname, host_key AS hostKey, process_start_time AS processStartTime, heartbeat_at AS heartbeatAt, kind FROM runners WHERE stopped_at IS NULL")
      .all() as UnstoppedRunner[];
  } finally {
    conn.close();
  }
}

/**
 * Folds a SQLite file's WAL into the main file (wal_checkpoint TRUNCATE) and closes it, so the
 * main file alone holds every committed write and can be moved. Only when no process uses it.
 * @throws Error when the file is locked (another process writes) or can't be opened.
 */
export function checkpointFile(file: string): void {
  const conn = new Database(file, { fileMustExist: true });
  try {
    conn.pragma("busy_timeout = 2000");
    conn.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    conn.close();
  }
}

/** Tables retention deletes from (PostgreSQL VACUUM after a prune). */
const PRUNED_TABLES = ["tasks", "task_events", "events", "chat_messages", "chat_conversations", "schedule_usage_rollups"] as const;

/**
 * PostgreSQL: `VACUUM (ANALYZE)` of the tables retention deletes from, so their dead rows are
 * reusable at once (not only at autovacuum's next visit) and pg_class.reltuples (the row
 * estimates of StorageStats) is fresh. Plain VACUUM takes no lock that blocks reads or writes;
 * it runs on the server, the event loop stays free. No-op on SQLite.
 */
export async function vacuumAnalyzePrunedTables(db: Db): Promise<void> {
  if (db.$dialect !== "pg") return;
  await execute(db, sql.raw(`VACUUM (ANALYZE) ${PRUNED_TABLES.map((t) => `"${t}"`).join(", ")}`));
}
