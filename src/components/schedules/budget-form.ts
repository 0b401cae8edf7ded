/**
 * The schedule sheet's cost-cap fields (issue 11, src/lib/budgets): string inputs ("" = no
 * cap) validated with the server's own zod fields. Spread into the sheet's form model
 * (form/schema.ts) so the merge with other parts of the sheet stays one line each.
 */
import { z } from "zod";
import { scheduleSpendFields } from "@/lib/budgets/input";
import type { ScheduleDto } from "@/lib/ui/types";

export interface SpendFormValues {
  maxCostUsdPerRun: string;
  maxCostUsd24h: string;
  maxCostUsd7d: string;
}

export const SPEND_FORM_FIELDS = ["maxCostUsdPerRun", "maxCostUsd24h", "maxCostUsd7d"] as const;

const optionalUsd = z.string().transform((v) => (v.trim() === "" ? null : Number(v)));

/** Form schema fields (same bounds and messages as the API). */
export const spendFormSchemaFields = {
  maxCostUsdPerRun: optionalUsd.pipe(scheduleSpendFields.maxCostUsdPerRun),
  maxCostUsd24h: optionalUsd.pipe(scheduleSpendFields.maxCostUsd24h),
  maxCostUsd7d: optionalUsd.pipe(scheduleSpendFields.maxCostUsd7d),
};

/** Initial values: a saved schedule's caps, or none. */
export function spendFormValues(s: ScheduleDto | null): SpendFormValues {
  const str = (v: number | null | undefined) => (v == null ? "" : String(v));
  return { maxCostUsdPerRun: str(s?.maxCostUsdPerRun), maxCostUsd24h: str(s?.maxCostUsd24h), maxCostUsd7d: str(s?.maxCostUsd7d) };
}

/** Request body fields. */
export function spendBody(f: SpendFormValues): Record<string, number | null> {
  const n = (v: string) => (v.trim() === "" ? null : Number(v));
  return { maxCostUsdPerRun: n(f.maxCostUsdPerRun), maxCostUsd24h: n(f.maxCostUsd24h), maxCostUsd7d: n(f.maxCostUsd7d) };
}
