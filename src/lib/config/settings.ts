import "server-only";
import { z } from "zod";
import { getDb, type Db, withTransaction } from "../db/client";
import { deleteSetting, selectSettings, upsertSetting } from "../db/queries/settings";
import { env } from "../env";
import { recordEvent } from "../events/log";
import { SETTING_DEFINITIONS, SETTING_KEYS, type SettingKey, type Settings } from "./setting-definitions";
import { getSpendSettings, spendSettingsPatchFields, storeSpendSettings, type SpendSettings, type SpendSettingsPatch } from "../budgets/settings";

/**
 * Typed settings with precedence environment variable > stored setting > default
 * (API.md "Settings"). Each value is a positive integer; the definitions (defaults,
 * bounds, variable names) live in the setting-definitions.ts leaf, the variables are
 * validated by env.ts.
 */
export { SETTING_DEFINITIONS, SETTING_KEYS, type SettingKey, type Settings } from "./setting-definitions";

/** Effective settings plus which keys an environment variable pins. */
export interface SettingsView extends Settings, SpendSettings {
  /** Keys whose value comes from the environment; PATCHing them is stored but has no effect. */
  lockedByEnv: SettingKey[];
}

/** The environment's value for `key` (env.ts validated it at boot), or undefined when unset. */
function envValue(key: SettingKey): number | undefined {
  return env()[SETTING_DEFINITIONS[key].env];
}

/** Effective settings: env > stored > default. */
export async function getSettings(db: Db = getDb()): Promise<Settings> {
  return getSettingsView(db);
}

/** Effective settings with the env-pinned keys (GET /api/settings). */
export async function getSettingsView(db: Db = getDb()): Promise<SettingsView> {
  // Prepared once per connection: every scheduler pass and every Run now reads settings.
  const rows = await selectSettings(db, SETTING_KEYS);
  const stored = new Map(rows.map((r) => [r.key, r.value]));
  // --- spend (src/lib/budgets): maxCostUsdPerDay, modelPrices ---
  const view = { lockedByEnv: [] as SettingKey[], ...(await getSpendSettings(db)) } as SettingsView;
  // --- end spend ---
  for (const key of SETTING_KEYS) {
    const fromEnv = envValue(key);
    const fromDb = stored.get(key);
    if (fromEnv !== undefined) {
      view[key] = fromEnv;
      view.lockedByEnv.push(key);
    } else if (typeof fromDb === "number" && Number.isInteger(fromDb) && fromDb > 0) {
      view[key] = fromDb;
    } else {
      view[key] = SETTING_DEFINITIONS[key].default;
    }
  }
  return view;
}

export const settingsPatchSchema = z
  .object(
    Object.fromEntries(
      SETTING_KEYS.map((k) => [
        k,
        z
          .number({ error: "must be a number" })
          .int("must be an integer")
          .positive("must be a positive integer")
          .max(SETTING_DEFINITIONS[k].max, `must be at most ${SETTING_DEFINITIONS[k].max}`)
          .optional(),
      ]),
    ) as Record<SettingKey, z.ZodOptional<z.ZodNumber>>,
  )
  .extend(spendSettingsPatchFields)
  .strict();

/** PATCH /api/settings input: integer settings plus the spend settings. */
export type SettingsPatch = Partial<Settings> & SpendSettingsPatch;

/**
 * Stores the given settings (one transaction with its `settings_changed` event) and
 * returns the effective view. Keys pinned by the environment are stored too, so they
 * apply once the variable is removed.
 */
export async function updateSettings(patch: SettingsPatch, now: number, db: Db = getDb()): Promise<SettingsView> {
  const { maxCostUsdPerDay, modelPrices, ...integers } = patch;
  const entries = Object.entries(integers).filter(([, v]) => v !== undefined) as [SettingKey, number][];
  await withTransaction(db, async (tx) => {
        for (const [key, value] of entries) await upsertSetting(tx, key, value, now);
        const spend = await storeSpendSettings(tx, { maxCostUsdPerDay, modelPrices }, now);
        if (entries.length || spend.length) {
          await recordEvent(tx, {
            kind: "settings_changed",
            message: `Settings changed: ${[...entries.map(([k, v]) => `${k}=${v}`), ...spend].join(", ")}`,
            data: { ...Object.fromEntries(entries), ...(maxCostUsdPerDay !== undefined ? { maxCostUsdPerDay } : {}), ...(modelPrices !== undefined ? { modelPrices } : {}) },
            createdAt: now,
          });
        }
      });
  return getSettingsView(db);
}

/** Removes a stored setting (tests). */
export async function clearStoredSetting(key: SettingKey, db: Db = getDb()): Promise<void> {
  await deleteSetting(db, key);
}
