/**
 * The price table: USD per million tokens, by model (issue 11 item 3). A leaf (no DB, no
 * server-only imports) so the settings page shows the same defaults the server applies.
 *
 * Where a runtime reports the cost itself (Claude Code / the Claude Agent SDK:
 * `total_cost_usd`) that figure wins; otherwise the cost of a run is its streamed tokens ×
 * the price of the runtime's `config.model`. A model with no price has an **unknown** cost
 * (null), never $0: a local model that really is free gets an explicit 0 price in Settings.
 */
import { z } from "zod";

/** USD per 1 000 000 tokens. */
export interface ModelPrice {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
}

/**
 * Default list prices (USD per million tokens, standard tier, no batch or cache discounts)
 * as published by Anthropic and OpenAI in 2025. Keys are model-name prefixes: the longest
 * prefix of a model name that is a key gives its price ("claude-sonnet-4-5-20250929" →
 * "claude-sonnet-4-5"). Prices change: edit them in Settings → Model prices (stored
 * entries win over these defaults).
 */
export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic (Claude Code aliases first).
  opus: { inputUsdPerMTok: 15, outputUsdPerMTok: 75 },
  sonnet: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  haiku: { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  "claude-opus-4-5": { inputUsdPerMTok: 5, outputUsdPerMTok: 25 },
  "claude-opus-4": { inputUsdPerMTok: 15, outputUsdPerMTok: 75 },
  "claude-3-opus": { inputUsdPerMTok: 15, outputUsdPerMTok: 75 },
  "claude-sonnet-4": { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  "claude-3-7-sonnet": { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  "claude-3-5-sonnet": { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  "claude-haiku-4-5": { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  "claude-3-5-haiku": { inputUsdPerMTok: 0.8, outputUsdPerMTok: 4 },
  "claude-3-haiku": { inputUsdPerMTok: 0.25, outputUsdPerMTok: 1.25 },
  // OpenAI.
  "gpt-4o": { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10 },
  "gpt-4o-mini": { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 },
  "gpt-4.1": { inputUsdPerMTok: 2, outputUsdPerMTok: 8 },
  "gpt-4.1-mini": { inputUsdPerMTok: 0.4, outputUsdPerMTok: 1.6 },
  "gpt-4.1-nano": { inputUsdPerMTok: 0.1, outputUsdPerMTok: 0.4 },
  "gpt-5": { inputUsdPerMTok: 1.25, outputUsdPerMTok: 10 },
  "gpt-5-mini": { inputUsdPerMTok: 0.25, outputUsdPerMTok: 2 },
  "gpt-5-nano": { inputUsdPerMTok: 0.05, outputUsdPerMTok: 0.4 },
  "gpt-5-codex": { inputUsdPerMTok: 1.25, outputUsdPerMTok: 10 },
  o3: { inputUsdPerMTok: 2, outputUsdPerMTok: 8 },
  "o4-mini": { inputUsdPerMTok: 1.1, outputUsdPerMTok: 4.4 },
};

const usd = z.number({ error: "must be a number" }).min(0, "must be 0 or more").max(10_000, "must be at most 10000");

/** One stored price (Settings → Model prices). */
export const modelPriceSchema = z.object({ inputUsdPerMTok: usd, outputUsdPerMTok: usd }).strict();

/**
 * The stored price table (`PATCH /api/settings {modelPrices}`): model name or prefix → price,
 * or null to remove a default (its cost becomes unknown). At most 200 entries.
 */
export const modelPricesSchema = z
  .record(z.string().trim().min(1, "must not be empty").max(200, "is too long"), modelPriceSchema.nullable())
  .refine((m) => Object.keys(m).length <= 200, "at most 200 models");
export type ModelPrices = z.infer<typeof modelPricesSchema>;

/** Defaults overlaid with the stored entries (null entries remove a default). */
export function effectivePriceTable(stored: ModelPrices = {}): Record<string, ModelPrice> {
  const table: Record<string, ModelPrice> = { ...DEFAULT_MODEL_PRICES };
  for (const [model, price] of Object.entries(stored)) {
    if (price) table[model] = price;
    else delete table[model];
  }
  return table;
}

/**
 * The price of `model`: an exact key, else the longest key that is a prefix of the model
 * name followed by "-", ":" , "@", "/" or "." (so "gpt-4o" does not price "gpt-4o-mini"
 * when that has its own key, and "gpt-4" never prices "gpt-40"). Case-insensitive.
 * @returns null when no key matches (the cost is unknown) or the model is unnamed.
 */
export function priceFor(model: string | null | undefined, table: Record<string, ModelPrice>): ModelPrice | null {
  if (!model) return null;
  const name = model.trim().toLowerCase();
  let best: { key: string; price: ModelPrice } | null = null;
  for (const [key, price] of Object.entries(table)) {
    const k = key.toLowerCase();
    const matches = name === k || (name.startsWith(k) && /[-:@/.]/.test(name.charAt(k.length)));
    if (matches && (!best || k.length > best.key.length)) best = { key: k, price };
  }
  return best?.price ?? null;
}

/** Cost in USD of `inputTokens` + `outputTokens` at `price`; null when the price is unknown. */
export function costOf(tokens: { inputTokens: number; outputTokens: number }, price: ModelPrice | null): number | null {
  if (!price) return null;
  return (tokens.inputTokens * price.inputUsdPerMTok + tokens.outputTokens * price.outputUsdPerMTok) / 1_000_000;
}

/** The model a runtime row runs (its config's `model`), for pricing; null when it names none. */
export function runtimeModel(config: Record<string, unknown> | null | undefined): string | null {
  const model = config?.model;
  return typeof model === "string" && model.trim() ? model.trim() : null;
}
