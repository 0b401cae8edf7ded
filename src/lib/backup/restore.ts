import "server-only";
import fs from "node:fs";
import path from "node:path";
import { checkpointFile, inspectDatabaseFile, selectUnstoppedRunnersInFile, type DatabaseFileReport, type UnstoppedRunner } from "../db/queries/storage";
import { processStartTime, thisHost } from "../runtimes/process-table";
import { RUNNER_STALE_MS } from "../scheduler/tuning";
import { backupsDir, backupFileName } from "./backup";

/**
 * `npm run restore <file>` (issue 11 item 5): replaces the data directory's database with a
 * backup, only when no server or worker uses the directory.
 */

/** Why a restore was refused: `message` is one sentence a person can act on. */
export class RestoreRefused extends Error {
  constructor(
    message: string,
    /** `not_a_backup` | `in_use` | `not_found` */
    readonly reason: "not_a_backup" | "in_use" | "not_found",
  ) {
    super(message);
  }
}

/**
 * Runners that use a database file now. Every server and worker is a runner row that
 * heartbeats every 5 s and is stamped `stoppedAt` on a clean exit. A row counts as alive
 * when it is not stopped and its heartbeat is younger than RUNNER_STALE_MS — unless it runs
 * on this host (same hostKey) and its pid is gone or now belongs to another process (start
 * stamp differs): a crashed server must not block a restore for 30 s.
 */
export function liveRunnersOf(file: string, now: number): UnstoppedRunner[] {
  const here = thisHost();
  return selectUnstoppedRunnersInFile(file).filter((r) => {
    if (r.hostKey === here) {
      const started = processStartTime(r.pid);
      if (started == null) return false;
      if (r.processStartTime != null && Math.abs(started - r.processStartTime) > 1) return false;
      return true;
    }
    return now - r.heartbeatAt < RUNNER_STALE_MS;
  });
}

/** What a restore did. */
export interface RestoreResult {
  /** The database file now in place. */
  database: string;
  /** Where the database it replaced was moved (`<dataDir>/backups/pre-restore-….db`), or null when there was none. */
  previousSavedAs: string | null;
  /** Counts read from the restored file. */
  contents: DatabaseFileReport;
}

/**
 * Restores `file` (a backup from `npm run backup` / POST /api/backup, or any Agentcron
 * SQLite database) into `dataDir/agentcron.db`:
 *   1. checks `file` is an intact Agentcron database (inspectDatabaseFile);
 *   2. refuses while a server or worker uses the data directory (liveRunnersOf);
 *   3. folds the current database's WAL into it and moves it to
 *      `<dataDir>/backups/pre-restore-<stamp>.db` (nothing is lost by a mistaken restore);
 *   4. copies the backup in (to a temporary name, then renamed into place).
 * The next boot applies any migration the backup predates, and recovers tasks the backup
 * shows `running` (their runner is long dead: invariant 9).
 * @throws RestoreRefused (`not_found`, `not_a_backup`, `in_use`); fs errors as they come.
 */
export function restoreDatabase(file: string, dataDir: string, now: number): RestoreResult {
  const source = path.resolve(file);
  if (!fs.existsSync(source)) throw new RestoreRefused(`There is no file ${source}.`, "not_found");
  const contents = inspectDatabaseFile(source);
  if (!contents.ok) throw new RestoreRefused(`${source} can't be restored: ${contents.problem}.`, "not_a_backup");
  const target = path.join(dataDir, "agentcron.db");
  if (path.resolve(target) === source) throw new RestoreRefused(`${source} is the live database itself; restore from a backup file.`, "not_a_backup");
  let previousSavedAs: string | null = null;
  if (fs.existsSync(target)) {
    const live = liveRunnersOf(target, now);
    if (live.length) {
      const who = live.map((r) => `${r.kind} pid ${r.pid} on ${r.hostname}`).join(", ");
      throw new RestoreRefused(`Agentcron is running on ${dataDir} (${who}); stop it, then restore.`, "in_use");
    }
    checkpointFile(target);
    fs.mkdirSync(backupsDir(dataDir), { recursive: true });
    previousSavedAs = path.join(backupsDir(dataDir), backupFileName(now, "manual").replace(/^agentcron-/, "pre-restore-"));
    fs.renameSync(target, previousSavedAs);
    for (const suffix of ["-wal", "-shm"]) fs.rmSync(target + suffix, { force: true });
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${target}.restoring`;
  fs.copyFileSync(source, tmp);
  fs.renameSync(tmp, target);
  return { database: target, previousSavedAs, contents };
}
