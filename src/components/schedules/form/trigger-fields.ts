/**
 * The schedule sheet's trigger fields (issue 12 item 7): the form value, its initial value
 * from a saved schedule, and its part of the request body. Spread into form/schema.ts in
 * one delimited block each, so other helpers' fields merge beside them.
 */
import { z } from "zod";
import type { ScheduleDto } from "@/lib/ui/types";

/** Select value standing for "dependsOnScheduleId: null" (no upstream schedule). */
export const NO_DEPENDENCY = "__none__";

export interface TriggerFormValues {
  dependsOnScheduleId: string;
}

export const triggerFormSchema = { dependsOnScheduleId: z.string() };

export function triggerInitialValues(s: ScheduleDto | null): TriggerFormValues {
  return { dependsOnScheduleId: s?.dependsOnScheduleId ?? NO_DEPENDENCY };
}

export function triggerBody(f: TriggerFormValues): Record<string, unknown> {
  return { dependsOnScheduleId: f.dependsOnScheduleId === NO_DEPENDENCY ? null : f.dependsOnScheduleId };
}

/** Server field names this part owns (their errors show under its controls). */
export const TRIGGER_FIELDS = ["dependsOnScheduleId"] as const;
