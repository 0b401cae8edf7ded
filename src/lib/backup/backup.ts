import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { Db } from "../db/client";
import { backupSqliteTo } from "../db/queries/storage";
import { AppError } from "../errors";

/**
 * Backups of the live database (issue 11 item 5; API.md v2 `POST /api/backup` → 201
 * `{path, bytes}`, `npm run backup [path]`). SQLite only: better-sqlite3's online backup API
 * copies a consistent snapshot while the scheduler keeps writing. On PostgreSQL the way is
 * `pg_dump` (docs/api.md, README "Backup and restore").
 */

/** What a backup wrote. */
export interface BackupResult {
  /** Absolute path of the backup file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
}

/** `<dataDir>/backups`: the only place the server writes backups to. */
export function backupsDir(dataDir: string): string {
  return path.join(dataDir, "backups");
}

/** Automatic (daily) backups are named `agentcron-YYYYMMDD-HHMMSSZ-daily.db`; manual ones without `-daily`. */
const BACKUP_NAME = /^agentcron-(\d{8})-(\d{6})Z(-daily)?\.db$/;

/** The file name of a backup taken at `now` (UTC ms). */
export function backupFileName(now: number, kind: "manual" | "daily"): string {
  const iso = new Date(now).toISOString(); // 2026-12-02T15:30:05.123Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}Z`;
  return `agentcron-${stamp}${kind === "daily" ? "-daily" : ""}.db`;
}

/** The UTC ms a backup file name says it was taken at, or null for another file. */
export function backupTakenAt(name: string): number | null {
  const m = BACKUP_NAME.exec(name);
  if (!m) return null;
  const [d, t] = [m[1], m[2]];
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +t.slice(0, 2), +t.slice(2, 4), +t.slice(4, 6));
}

/** Why the server can't back up a PostgreSQL database itself. */
export const PG_BACKUP_MESSAGE =
  "Agentcron is on PostgreSQL: back it up with pg_dump (pg_dump --format=custom --file=agentcron.dump \"$DATABASE_URL\") and restore with pg_restore.";

export interface BackupOptions {
  /** The data directory (backups go to `<dataDir>/backups/` unless `dest` is given). */
  dataDir: string;
  /** UTC ms, for the file name. */
  now: number;
  kind?: "manual" | "daily";
  /**
   * An explicit destination file (the CLI user's own path; never taken from the network).
   * Relative to the working directory. Must not exist; its folder must.
   */
  dest?: string;
}

/**
 * Writes a consistent snapshot of the live SQLite database (SQLite online backup) to
 * `<dataDir>/backups/agentcron-<UTC stamp>[-daily].db`, or to `dest`. The copy is written
 * to `<file>.partial` and renamed when complete, so a crash never leaves a file that looks
 * like a finished backup.
 * @returns the absolute path and size in bytes.
 * @throws AppError `backup_unsupported` (409: a request this deployment cannot serve, not a server fault — no 5xx for it) on PostgreSQL (use pg_dump); `invalid_request`
 *   when `dest` exists or its folder does not; `backup_failed` (500) when the copy fails.
 */
export async function createBackup(db: Db, opts: BackupOptions): Promise<BackupResult> {
  if (db.$dialect !== "sqlite") throw new AppError("backup_unsupported", PG_BACKUP_MESSAGE);
  let file: string;
  if (opts.dest) {
    file = path.resolve(opts.dest);
    if (fs.existsSync(file)) throw new AppError("invalid_request", `${file} already exists; choose a new file name.`, { fields: { path: "already exists" } });
    if (!fs.existsSync(path.dirname(file))) throw new AppError("invalid_request", `The folder ${path.dirname(file)} does not exist.`, { fields: { path: "folder does not exist" } });
  } else {
    const dir = backupsDir(opts.dataDir);
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, backupFileName(opts.now, opts.kind ?? "manual"));
    // Two backups in one second (a double click): the second gets a suffix rather than failing.
    for (let n = 2; fs.existsSync(file); n++) file = path.join(dir, backupFileName(opts.now, opts.kind ?? "manual").replace(/\.db$/, `-${n}.db`));
  }
  const partial = `${file}.partial`;
  try {
    const bytes = await backupSqliteTo(db, partial);
    fs.renameSync(partial, file);
    return { path: file, bytes };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    console.error("[agentcron] backup failed", err);
    throw new AppError("backup_failed", `The backup could not be written (${(err as Error).message}).`);
  }
}

/** Automatic backups in `<dataDir>/backups/`, newest first. */
export function listDailyBackups(dataDir: string): { name: string; takenAt: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(backupsDir(dataDir));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith("-daily.db"))
    .map((name) => ({ name, takenAt: backupTakenAt(name) }))
    .filter((b): b is { name: string; takenAt: number } => b.takenAt != null)
    .sort((a, b) => b.takenAt - a.takenAt);
}

/** How often the automatic backup runs. */
export const DAILY_BACKUP_INTERVAL_MS = 24 * 3600 * 1000;

/**
 * The optional daily backup: when the newest automatic backup is at least 24 h old (or
 * there is none), takes one and deletes automatic backups beyond the newest `keep`. Manual
 * backups and other files are never deleted. SQLite only (returns null on PostgreSQL).
 * @returns the new backup, or null when none was due.
 */
export async function runDailyBackup(db: Db, dataDir: string, now: number, keep: number): Promise<BackupResult | null> {
  if (db.$dialect !== "sqlite") return null;
  const newest = listDailyBackups(dataDir)[0];
  if (newest && now - newest.takenAt < DAILY_BACKUP_INTERVAL_MS) return null;
  const result = await createBackup(db, { dataDir, now, kind: "daily" });
  for (const old of listDailyBackups(dataDir).slice(Math.max(1, keep))) fs.rmSync(path.join(backupsDir(dataDir), old.name), { force: true });
  return result;
}
