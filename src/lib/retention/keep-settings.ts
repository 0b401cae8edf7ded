import "server-only";
import { z } from "zod";
import { type Db, getDb, withTransaction } from "../db/client";
import { selectSettings, upsertSetting } from "../db/queries/settings";
import { recordEvent } from "../events/log";

/**
 * Settings of what Agentcron keeps (issue 11 items 4–5; API.md v2 "Settings gain
 * `retention` (days per kind)"): how long each kind of row is kept, and the optional daily
 * backup. Stored as two JSON rows of `settings` (keys `retention`, `backup`), served by
 * GET /api/settings beside the numeric settings and patched by PATCH /api/settings.
 */

/** Days each kind of row is kept (null = forever), and the runs every schedule always keeps. */
export interface RetentionSettings {
  /** Finished tasks (completed, failed, cancelled, skipped) older than this many days, by createdAt. */
  tasksDays: number | null;
  /** The agent stream of a task (task_events), by the event's createdAt. */
  taskEventsDays: number | null;
  /** The activity log (events), by createdAt. */
  eventsDays: number | null;
  /** Chat conversations (and their messages) whose last activity (updatedAt) is older. */
  chatDays: number | null;
  /** Each schedule's newest tasks that are never pruned, whatever their age (with their task events). */
  keepRunsPerSchedule: number;
  /**
   * The most tasks one schedule keeps, whatever their age (null = no cap): beyond it the
   * oldest finished ones go, so a per-second schedule stays bounded by count, not only by
   * days (ADR 0025). The protected rows (keepRunsPerSchedule, live tasks, the run behind an
   * open pause) are never removed by it.
   */
  maxTasksPerSchedule: number | null;
}

/** The optional daily backup (src/lib/backup/). */
export interface BackupSettings {
  /** Take a backup into `<dataDir>/backups/` when the newest automatic one is 24 h old. */
  dailyEnabled: boolean;
  /** Automatic backups kept; older ones are deleted after each new one. */
  keep: number;
}

/** Defaults (README "Retention"): the activity log and agent streams a month, runs and chat a quarter. */
export const DEFAULT_RETENTION: RetentionSettings = { tasksDays: 90, taskEventsDays: 30, eventsDays: 30, chatDays: 90, keepRunsPerSchedule: 20, maxTasksPerSchedule: 10_000 };
export const DEFAULT_BACKUP: BackupSettings = { dailyEnabled: false, keep: 7 };

const days = z.number({ error: "must be a number of days or null" }).int("must be an integer").min(1, "must be at least 1 day").max(3650, "must be at most 3650 days").nullable();

/** Zod fields spread into the PATCH /api/settings body schema. */
export const KEEP_SETTINGS_FIELDS = {
  retention: z
    .object({
      tasksDays: days.optional(),
      taskEventsDays: days.optional(),
      eventsDays: days.optional(),
      chatDays: days.optional(),
      keepRunsPerSchedule: z.number({ error: "must be a number" }).int("must be an integer").min(0, "must be 0 or more").max(10_000, "must be at most 10000").optional(),
      maxTasksPerSchedule: z
        .number({ error: "must be a number of tasks or null" })
        .int("must be an integer")
        .min(100, "must be at least 100")
        .max(10_000_000, "must be at most 10000000")
        .nullable()
        .optional(),
    })
    .strict()
    .optional(),
  backup: z
    .object({
      dailyEnabled: z.boolean({ error: "must be true or false" }).optional(),
      keep: z.number({ error: "must be a number" }).int("must be an integer").min(1, "must be at least 1").max(365, "must be at most 365").optional(),
    })
    .strict()
    .optional(),
};

export type KeepSettingsPatch = { retention?: Partial<RetentionSettings>; backup?: Partial<BackupSettings> };

export interface KeepSettings {
  retention: RetentionSettings;
  backup: BackupSettings;
}

function merge<T extends object>(defaults: T, stored: unknown): T {
  if (!stored || typeof stored !== "object") return { ...defaults };
  const out = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    const v = (stored as Record<string, unknown>)[key as string];
    if (v !== undefined && (v === null || typeof v === typeof defaults[key] || (defaults[key] === null && typeof v === "number"))) out[key] = v as T[keyof T];
  }
  return out;
}

/** The effective retention and backup settings (stored values over the defaults). */
export async function getKeepSettings(db: Db = getDb()): Promise<KeepSettings> {
  const rows = await selectSettings(db, ["retention", "backup"]);
  const stored = new Map(rows.map((r) => [r.key, r.value]));
  return { retention: merge(DEFAULT_RETENTION, stored.get("retention")), backup: merge(DEFAULT_BACKUP, stored.get("backup")) };
}

/**
 * Stores a partial patch of the retention/backup settings (one transaction with its
 * `settings_changed` event) and returns the effective values. An empty patch writes nothing.
 */
export async function updateKeepSettings(patch: KeepSettingsPatch, now: number, db: Db = getDb()): Promise<KeepSettings> {
  const current = await getKeepSettings(db);
  const changes: [keyof KeepSettings, object][] = [];
  if (patch.retention && Object.keys(patch.retention).length) changes.push(["retention", { ...current.retention, ...patch.retention }]);
  if (patch.backup && Object.keys(patch.backup).length) changes.push(["backup", { ...current.backup, ...patch.backup }]);
  if (!changes.length) return current;
  await withTransaction(db, async (tx) => {
    for (const [key, value] of changes) await upsertSetting(tx, key, value, now);
    await recordEvent(tx, {
      kind: "settings_changed",
      message: `Settings changed: ${changes.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}`,
      data: Object.fromEntries(changes),
      createdAt: now,
    });
  });
  return getKeepSettings(db);
}
