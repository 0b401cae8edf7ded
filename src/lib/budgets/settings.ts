import "server-only";
import { z } from "zod";
import type { Db } from "../db/client";
import { LIMITS } from "../db/constants";
import { deleteSetting, selectSettings, upsertSetting } from "../db/queries/settings";
import { effectivePriceTable, modelPricesSchema, type ModelPrice, type ModelPrices } from "./prices";

/**
 * The spend settings (API.md v2 "Settings gain maxCostUsdPerDay"): the global daily cost cap
 * and the stored price-table entries. Stored in `settings` under their own keys, beside the
 * integer settings of config/settings.ts, which merges them into GET/PATCH /api/settings.
 */
export interface SpendSettings {
  /** Global cap on the cost of all tasks finished in the current UTC day (USD); null = none. */
  maxCostUsdPerDay: number | null;
  /** Stored price entries (model or prefix → USD per million tokens; null removes a default). */
  modelPrices: ModelPrices;
}

export const SPEND_SETTING_KEYS = ["maxCostUsdPerDay", "modelPrices"] as const;

/** A cost cap in USD: > 0 and ≤ LIMITS.costCapUsdMax. Shared by the schedule and settings inputs. */
export const costCapUsd = z
  .number({ error: "must be a number" })
  .positive("must be more than 0")
  .max(LIMITS.costCapUsdMax, `must be at most ${LIMITS.costCapUsdMax}`);

/** PATCH /api/settings fields of the spend settings (spread into settingsPatchSchema). */
export const spendSettingsPatchFields = {
  maxCostUsdPerDay: costCapUsd.nullable().optional(),
  modelPrices: modelPricesSchema.optional(),
};
export type SpendSettingsPatch = { maxCostUsdPerDay?: number | null; modelPrices?: ModelPrices };

/** The stored spend settings (defaults: no daily cap, no stored prices). */
export async function getSpendSettings(db: Db): Promise<SpendSettings> {
  const rows = await selectSettings(db, SPEND_SETTING_KEYS);
  const stored = new Map(rows.map((r) => [r.key, r.value]));
  const cap = stored.get("maxCostUsdPerDay");
  const prices = modelPricesSchema.safeParse(stored.get("modelPrices") ?? {});
  return {
    maxCostUsdPerDay: typeof cap === "number" && cap > 0 ? cap : null,
    modelPrices: prices.success ? prices.data : {},
  };
}

/** The price table in effect: DEFAULT_MODEL_PRICES overlaid with the stored entries. */
export async function getPriceTable(db: Db): Promise<Record<string, ModelPrice>> {
  return effectivePriceTable((await getSpendSettings(db)).modelPrices);
}

/**
 * Stores the given spend settings (call inside the settings transaction). `null` for
 * maxCostUsdPerDay removes the cap; `modelPrices` replaces the stored entries as a whole.
 * @param now UTC ms.
 */
export async function storeSpendSettings(tx: Db, patch: SpendSettingsPatch, now: number): Promise<string[]> {
  const changed: string[] = [];
  if (patch.maxCostUsdPerDay !== undefined) {
    if (patch.maxCostUsdPerDay === null) await deleteSetting(tx, "maxCostUsdPerDay");
    else await upsertSetting(tx, "maxCostUsdPerDay", patch.maxCostUsdPerDay, now);
    changed.push(`maxCostUsdPerDay=${patch.maxCostUsdPerDay ?? "none"}`);
  }
  if (patch.modelPrices !== undefined) {
    await upsertSetting(tx, "modelPrices", patch.modelPrices, now);
    changed.push(`modelPrices (${Object.keys(patch.modelPrices).length} entries)`);
  }
  return changed;
}
