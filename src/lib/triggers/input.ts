/**
 * zod input of the trigger endpoints (issue 12 item 1). Client-safe: the Run now dialog
 * checks its prompt with the same rules.
 */
import { z } from "zod";
import { LIMITS } from "../db/constants";
import { checkPromptVariables } from "./prompt-variables";

/** A fire URL body: any JSON value (its size is bounded by HOOK_BODY_MAX_BYTES when read), or none. */
export const hookBodySchema = z.unknown();

/** Run now's optional body: `{prompt}` replaces the schedule's prompt for this run (same bounds and variables as a schedule's). */
export const runNowBodySchema = z
  .object(
    {
      prompt: z
        .string({ error: "must be a string" })
        .refine((s) => s.trim().length > 0, "must not be empty")
        .refine((s) => s.length <= LIMITS.promptMax, `must be at most ${LIMITS.promptMax} characters`)
        .superRefine(checkPromptVariables)
        .optional(),
    },
    { error: "must be a JSON object" },
  )
  .optional();
