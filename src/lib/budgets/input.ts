/**
 * Schedule input fields of the spend caps (API.md v2: maxCostUsdPerRun, maxCostUsd24h,
 * maxCostUsd7d; USD, > 0, or null for no cap). Client-safe (zod + constants): spread into
 * the schedule input schema and used by the sheet's budget controls.
 */
import { z } from "zod";
import { LIMITS } from "../db/constants";

const cap = z
  .number({ error: "must be a number of US dollars" })
  .positive("must be more than 0 (leave it empty for no cap)")
  .max(LIMITS.costCapUsdMax, `must be at most ${LIMITS.costCapUsdMax}`)
  .nullable();

export const scheduleSpendFields = {
  maxCostUsdPerRun: cap,
  maxCostUsd24h: cap,
  maxCostUsd7d: cap,
};
