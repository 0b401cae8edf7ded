/**
 * Input validation shared by route handlers and services, with no HTTP in it: zod
 * issues → the `fields` of `invalid_request`, and `parseWith`, which every JSON body and
 * query object goes through (http/route.ts `readJson` calls it after reading the body).
 *
 * NUL bytes never enter Agentcron (security issue #9 item 5): a string with U+0000 can't
 * be an argv entry, environment value, cwd or file path of a child process (spawn
 * throws), and truncates C strings wherever it goes. parseWith refuses them once, before
 * any schema sees the value.
 */
import type { z } from "zod";
import { invalidRequest } from "./errors";

/** Deepest nesting walked; anything deeper is left to the schema (which refuses it). */
const MAX_DEPTH = 32;

/**
 * The fields of `value` (a parsed JSON body or query object) holding a NUL byte, in
 * the `fields` shape of `invalid_request`: dotted paths (`config.env.X`, `command.2`)
 * → "must not contain NUL bytes". A NUL in a property name names its parent. Null when
 * there is none.
 */
export function nulByteFields(value: unknown): Record<string, string> | null {
  const fields: Record<string, string> = {};
  const walk = (v: unknown, path: string[], depth: number) => {
    if (typeof v === "string") {
      if (v.includes("\0")) fields[path.join(".") || "body"] = "must not contain NUL bytes";
    } else if (v && typeof v === "object" && depth < MAX_DEPTH) {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes("\0")) fields[path.join(".") || "body"] = "must not contain NUL bytes";
        else walk(child, [...path, k], depth + 1);
      }
    }
  };
  walk(value, [], 0);
  return Object.keys(fields).length ? fields : null;
}

/** zod issues → `{field: message}` (first issue per field, dotted path; the root is `body`). */
export function zodFields(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "body";
    fields[key] ??= issue.message;
  }
  return fields;
}

/**
 * Parses `value` with `schema`, or throws 400 `invalid_request` naming the fields;
 * strings with a NUL byte anywhere are refused first (nulByteFields).
 * @throws AppError 400 `invalid_request`
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const nul = nulByteFields(value);
  if (nul) throw invalidRequest(nul, "Text fields must not contain NUL bytes.");
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(zodFields(parsed.error));
  return parsed.data;
}
