/**
 * NUL bytes never enter Agentcron (security issue #9 item 5): a string with U+0000 can't
 * be an argv entry, environment value, cwd or file path of a child process (spawn
 * throws), and truncates C strings wherever it goes. Every JSON body and query string
 * is checked here, once, before any schema sees it (route.ts `parseWith`).
 */

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
