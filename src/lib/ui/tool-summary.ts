/**
 * What a tool call did, in one line, for the task stream: the command of a Bash call, the
 * path of a file tool, the pattern of a search, else the first short string argument.
 * Pure; the full input stays available behind the row's disclosure.
 */

/** Input keys that say best what a call did, most telling first. */
const TELLING_KEYS = ["command", "cmd", "file_path", "pattern", "query", "url", "path", "description", "prompt", "content"];

/** Longest summary shown; the rest is behind the disclosure. */
export const TOOL_SUMMARY_MAX = 200;

/** One line for a tool call's `input` (any JSON); "" when nothing readable is there. */
export function toolCallSummary(input: unknown): string {
  let text = "";
  if (typeof input === "string") text = input;
  else if (Array.isArray(input)) text = input.filter((x) => typeof x === "string").join(" ");
  else if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    const key = TELLING_KEYS.find((k) => typeof o[k] === "string" || (Array.isArray(o[k]) && (o[k] as unknown[]).every((x) => typeof x === "string")));
    const v = key ? o[key] : Object.values(o).find((x) => typeof x === "string");
    text = Array.isArray(v) ? v.join(" ") : typeof v === "string" ? v : "";
  }
  text = text.replace(/\s+/g, " ").trim();
  return text.length > TOOL_SUMMARY_MAX ? `${text.slice(0, TOOL_SUMMARY_MAX - 1)}…` : text;
}
