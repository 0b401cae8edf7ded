import "server-only";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { migrationsFolderFor } from "./migrations-folder";
import * as pgSchema from "./schema-pg";

/** A drizzle handle on a PostgreSQL pool, with the mirror schema (schema-pg.ts). `$client` is the pool. */
export type PgDb = NodePgDatabase<typeof pgSchema> & { $client: pg.Pool };

/** Options of {@link openPgDatabase}. */
export interface PgOpenOptions {
  /** Connections in the pool (pg.Pool `max`); default 10. */
  poolSize?: number;
  /** `application_name` the server shows in pg_stat_activity; default "agentcron". */
  applicationName?: string;
}

/**
 * Key of the session-level advisory lock that serializes migrations (an arbitrary constant:
 * 0x6167656e7463726f = "agentcro"). Advisory locks are per database, so instances on other
 * databases of the same cluster don't wait for each other.
 */
export const MIGRATION_LOCK_KEY = 0x6167656e7463726fn;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * int8 (bigint: ms timestamps, count(*), identity ids) and numeric (sum() of int8) arrive as
 * JS numbers, as SQLite's integers do. drizzle's node-postgres session resolves every parser
 * through pg's global `types`, so they are set there, once per process. Values past 2^53
 * lose precision as better-sqlite3's do (only the histograms' +Inf bound, 2^63 − 1).
 */
function installNumberParsers(): void {
  pg.types.setTypeParser(INT8_OID, (v: string) => Number(v));
  pg.types.setTypeParser(NUMERIC_OID, (v: string) => Number(v));
}

/**
 * Opens a pool on a PostgreSQL database (`url`: `postgres://user[:password]@host:port/db`;
 * libpq's `?sslmode=…` etc. as node-postgres reads them). No connection is made until the
 * first query, so a wrong URL fails there (pg's error, e.g. ECONNREFUSED or
 * `database "…" does not exist`), not here. Call {@link migratePgDatabase} before use and
 * {@link closePgDatabase} at shutdown.
 */
export function openPgDatabase(url: string, options: PgOpenOptions = {}): PgDb {
  installNumberParsers();
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? "agentcron",
    // JIT off for our sessions: every statement here is short OLTP, and a drain read over a
    // large queue (planner cost > jit_above_cost) spent 187 ms compiling to run for 0.6 ms
    // (auto_explain, 2026-12-03; ADR 0023's amendment). A URL's own `?options=` is replaced.
    options: "-c jit=off",
  });
  // An idle client's error (server restart, network cut) is emitted on the pool; without a
  // listener Node would crash the process. The next query reconnects or throws where it runs.
  pool.on("error", (err) => console.error(`[agentcron] PostgreSQL pool: ${err.message}`));
  return drizzle({ client: pool, schema: pgSchema }) as PgDb;
}

/**
 * Applies every pending migration of `drizzle/pg` (migrationsFolderFor("pg"); drizzle's
 * node-postgres migrator, one transaction, bookkeeping in `drizzle.__drizzle_migrations`).
 * Idempotent. Holds `pg_advisory_lock(MIGRATION_LOCK_KEY)` on one connection for the whole
 * run, so instances booting together migrate one after the other: the second finds nothing
 * left to apply instead of racing the first (drizzle reads the last applied migration
 * before its transaction starts).
 * @throws the migration's SQL error (nothing of that migration run is kept), or pg's
 *   connection error.
 */
export async function migratePgDatabase(db: PgDb, migrationsFolder = migrationsFolderFor("pg")): Promise<void> {
  const client = await db.$client.connect();
  let broken: Error | undefined;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    try {
      await migrate(drizzle({ client, schema: pgSchema }), { migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-run is discarded (its session may still hold the lock).
    client.release(broken);
  }
}

/** Ends the pool: waits for checked-out clients' queries to finish, then closes every connection. */
export async function closePgDatabase(db: PgDb): Promise<void> {
  await db.$client.end();
}

/** True for a `DATABASE_URL` that names PostgreSQL (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}
