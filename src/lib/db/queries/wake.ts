import "server-only";
import { sql } from "drizzle-orm";
import type pg from "pg";
import type { Db } from "../client";
import { execute } from "../sql";

/**
 * SQLite: `PRAGMA data_version` of this handle's connection — it changes exactly when another
 * connection (another process on the same file) committed (ADR 0014). Synchronous: an
 * in-memory read, polled by the wake bus.
 */
export function sqliteDataVersion(db: Db): number {
  return db.$client.pragma("data_version", { simple: true }) as number;
}

/** PostgreSQL: the URL of this handle's pool, for a dedicated LISTEN connection. */
export function pgConnectionString(db: Db): string | undefined {
  return (db.$client as unknown as pg.Pool).options.connectionString;
}

/** PostgreSQL: `NOTIFY channel, payload` (delivered to listeners when the statement commits). */
export async function notifyChannel(db: Db, channel: string, payload: string): Promise<void> {
  await execute(db, sql`SELECT pg_notify(${channel}, ${payload})`);
}
