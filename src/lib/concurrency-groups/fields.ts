/**
 * Concurrency-group input (issue 12 item 4; API.md v2 "Concurrency groups"). Client-safe (zod
 * only): the schedule sheet validates with the same rule.
 */
import { z } from "zod";

/** Most characters of a group name. */
export const GROUP_NAME_MAX = 64;

/** A group name, e.g. `repo-foo`: letters, digits, `_ . : -`, starting with a letter or digit (it appears in URLs). */
export const concurrencyGroupName = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(GROUP_NAME_MAX, `must be at most ${GROUP_NAME_MAX} characters`)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "must be a group name such as repo-foo (letters, digits, _ . : -)");

/**
 * The schedule fields of concurrency groups, spread into the schedule input schema
 * (schedules/input.ts): `concurrencyGroup` names the group whose cap the schedule's tasks
 * (Run now included) count against; null clears it.
 */
export const concurrencyGroupScheduleFields = {
  concurrencyGroup: concurrencyGroupName.nullable().optional(),
};

/** PUT /api/concurrency-groups/:name body. */
export const concurrencyGroupCapSchema = z
  .object({
    maxConcurrent: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be between 1 and 1000").max(1000, "must be between 1 and 1000"),
  })
  .strict();
