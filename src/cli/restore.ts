/**
 * `npm run restore <file>` (issue 11 item 5): puts a backup in place of
 * `<AGENTCRON_DATA_DIR>/agentcron.db` (the replaced database is kept under backups/). Refuses
 * while a server or worker uses the data directory, and refuses a file that is not an intact
 * Agentcron database. Exit codes: 0 restored, 2 refused (reason on stderr), 1 failed.
 */
import { resolveDataDir } from "../lib/db/client";
import { isPostgresUrl } from "../lib/db/pg";
import { env } from "../lib/env";
import { restoreDatabase, RestoreRefused } from "../lib/backup/restore";

function main(): number {
  const file = process.argv[2];
  if (!file) {
    console.error("Usage: npm run restore <backup file>");
    return 2;
  }
  if (isPostgresUrl(env().DATABASE_URL)) {
    console.error("Agentcron is on PostgreSQL (DATABASE_URL): restore a pg_dump with pg_restore instead.");
    return 2;
  }
  try {
    const r = restoreDatabase(file, resolveDataDir(), Date.now());
    console.log(
      `Restored ${r.database} from ${file}: ${r.contents.schedules} schedules, ${r.contents.runtimes} runtimes, ${r.contents.tasks} tasks.` +
        (r.previousSavedAs ? ` The database it replaced is saved as ${r.previousSavedAs}.` : ""),
    );
    return 0;
  } catch (err) {
    if (err instanceof RestoreRefused) {
      console.error(err.message);
      return 2;
    }
    console.error(`Restore failed: ${(err as Error).message}`);
    return 1;
  }
}

process.exit(main());
