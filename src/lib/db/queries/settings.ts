import "server-only";
import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { preparedAll, run, tablesOf } from "../sql";

/** A stored setting: its key and JSON value (settings.value). */
export interface StoredSetting {
  key: string;
  value: unknown;
}

/** The stored rows of `keys` (absent keys are simply missing). */
export async function selectSettings(db: Db, keys: readonly string[]): Promise<StoredSetting[]> {
  // Read on every scheduler pass: prepared once (one placeholder per key, keyed by their count).
  const params = Object.fromEntries(keys.map((k, i) => [`k${i}`, k]));
  return preparedAll(
    db,
    `settings-${keys.length}`,
    (d) => {
      const { settings } = tablesOf(d);
      return d
        .select({ key: settings.key, value: settings.value })
        .from(settings)
        .where(inArray(settings.key, keys.map((_, i) => sql.placeholder(`k${i}`))));
    },
    params,
  );
}

/** Inserts or replaces one setting. `now`: UTC ms. */
export async function upsertSetting(db: Db, key: string, value: unknown, now: number): Promise<void> {
  const { settings } = tablesOf(db);
  await run(db, db.insert(settings).values({ key, value, updatedAt: now }).onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } }));
}

/** Removes one stored setting. */
export async function deleteSetting(db: Db, key: string): Promise<void> {
  const { settings } = tablesOf(db);
  await run(db, db.delete(settings).where(eq(settings.key, key)));
}
