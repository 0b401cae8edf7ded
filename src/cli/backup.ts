/**
 * `npm run backup [path]` (issue 11 item 5): a consistent snapshot of the live SQLite
 * database, taken with SQLite's online backup API while a server may be running and writing.
 * Without a path: `<AGENTCRON_DATA_DIR>/backups/agentcron-<UTC stamp>.db`. With a path: that
 * file (the person at the terminal chose it; it must not exist, its folder must). Prints
 * `{path, bytes}` as JSON. On PostgreSQL it prints how to use pg_dump and exits 2.
 * Exit codes: 0 written, 1 failed, 2 not possible here (PostgreSQL, no database yet).
 */
import fs from "node:fs";
import { createBackup, PG_BACKUP_MESSAGE } from "../lib/backup/backup";
import { closeDatabase, databasePath, openDatabase, resolveDataDir } from "../lib/db/client";
import { isPostgresUrl } from "../lib/db/pg";
import { env } from "../lib/env";

async function main(): Promise<number> {
  if (isPostgresUrl(env().DATABASE_URL)) {
    console.error(PG_BACKUP_MESSAGE);
    return 2;
  }
  const file = databasePath();
  if (!fs.existsSync(file)) {
    console.error(`There is no Agentcron database at ${file} yet (AGENTCRON_DATA_DIR); nothing to back up.`);
    return 2;
  }
  // No migration: back up the file as it is (the restoring server migrates it).
  const db = openDatabase(file);
  try {
    const result = await createBackup(db, { dataDir: resolveDataDir(), now: Date.now(), dest: process.argv[2] });
    console.log(JSON.stringify(result));
    return 0;
  } catch (err) {
    console.error(`Backup failed: ${(err as Error).message}`);
    return 1;
  } finally {
    closeDatabase(db);
  }
}

void main().then((code) => process.exit(code));
