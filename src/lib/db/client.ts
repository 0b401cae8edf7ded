import "server-only";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { processSingleton, resetProcessSingleton } from "../process-singleton";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const KEY = "db";

/**
 * The data directory: `AGENTCRON_DATA_DIR`, default `./data` (relative to the working
 * directory). Created if missing.
 * @throws Error naming the directory when it cannot be created or is not writable.
 */
export function resolveDataDir(): string {
  const dir = path.resolve(/* turbopackIgnore: true */ process.env.AGENTCRON_DATA_DIR || "./data");
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

/** Folder of drizzle-kit's SQL migrations (`drizzle/` at the project root). */
export function migrationsFolder(): string {
  return process.env.AGENTCRON_MIGRATIONS_DIR || path.join(/* turbopackIgnore: true */ process.cwd(), "drizzle");
}

/**
 * Opens a SQLite file with the pragmas every connection needs: WAL (readers never
 * block the writer), busy_timeout 5000 ms (two processes sharing one file wait instead
 * of failing with SQLITE_BUSY), foreign_keys ON.
 */
export function openDatabase(file: string): Db {
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("synchronous = NORMAL");
  return drizzle(sqlite, { schema }) as Db;
}

/** Applies every pending migration in `drizzle/`. Idempotent. */
export function migrateDatabase(db: Db): void {
  migrate(db, { migrationsFolder: migrationsFolder() });
}

/**
 * The process's one connection (cached on globalThis so dev reloads and the separate
 * instrumentation/route bundles share it), migrated on first open.
 */
export function getDb(): Db {
  return processSingleton(KEY, () => {
    const db = openDatabase(databasePath());
    migrateDatabase(db);
    return db;
  });
}

/** Closes the process's connection; the next `getDb()` reopens it. */
export function closeDb(): void {
  const store = (globalThis as unknown as { __agentcron?: Map<string, unknown> }).__agentcron;
  const db = store?.get(KEY) as Db | undefined;
  if (db) db.$client.close();
  resetProcessSingleton(KEY);
}
