/**
 * Prompt variables (issue 12 item 6): `{{name}}` placeholders a schedule's prompt may use,
 * filled in when a task's run starts (prompt-render.ts) and stored on the task as its
 * `renderedPrompt`. Client-safe (no imports): the schedule sheet lists and checks them too.
 *
 * Rules (docs/api.md "Prompt variables"):
 * - `{{ name }}` with optional spaces inside the braces; any other `{{…}}` is an unknown
 *   variable and the schedule (or Run now override) is refused with 400 at save;
 * - a value is inserted as plain text, never re-scanned for variables.
 */

/** One variable the prompt may use, with the help text the schedule sheet shows. */
export interface PromptVariable {
  name: string;
  help: string;
}

/** `{{lastResult}}` keeps the first this many characters of the previous successful run's result (then "…[truncated]"). */
export const LAST_RESULT_MAX_CHARS = 4000;

/** Every variable a prompt may use, in the order the sheet lists them. */
export const PROMPT_VARIABLES: readonly PromptVariable[] = [
  { name: "plannedAt", help: "the occurrence's planned time, ISO-8601 UTC (a manual or fire-URL run: when it was requested)" },
  { name: "date", help: "that time's date, YYYY-MM-DD, in the schedule's time zone" },
  { name: "scheduleName", help: "the schedule's name" },
  { name: "attempt", help: "the attempt number, 1 for the first run, 2 for its first retry …" },
  { name: "lastResult", help: `the previous successful run's result (first ${LAST_RESULT_MAX_CHARS} characters; empty when none)` },
  { name: "trigger.body", help: "the fire URL call's JSON body (empty for other runs)" },
];

const NAMES = new Set(PROMPT_VARIABLES.map((v) => v.name));
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The distinct names of `{{…}}` placeholders in `prompt` that are not prompt variables, in order of appearance. */
export function unknownPromptVariables(prompt: string): string[] {
  const unknown = new Set<string>();
  for (const m of prompt.matchAll(PLACEHOLDER)) if (!NAMES.has(m[1])) unknown.add(m[1]);
  return [...unknown];
}

/** The field message for a prompt with unknown variables, or null when every placeholder is known. */
export function promptVariablesProblem(prompt: string): string | null {
  const unknown = unknownPromptVariables(prompt);
  if (!unknown.length) return null;
  const list = unknown.map((n) => `{{${n}}}`).join(", ");
  return `uses unknown variable${unknown.length > 1 ? "s" : ""} ${list}; known: ${PROMPT_VARIABLES.map((v) => `{{${v.name}}}`).join(", ")}`;
}

/** zod superRefine for a prompt field: an issue naming the unknown variables (400 `fields.prompt`). */
export function checkPromptVariables(prompt: string, ctx: { addIssue(issue: { code: "custom"; message: string }): void }): void {
  const problem = promptVariablesProblem(prompt);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

/**
 * `prompt` with each known `{{name}}` replaced by its value (one pass: a value containing
 * `{{…}}` stays as it is). Unknown placeholders are left untouched (a prompt saved before
 * the check existed still runs).
 */
export function renderPrompt(prompt: string, values: Partial<Record<string, string>>): string {
  return prompt.replace(PLACEHOLDER, (whole, name: string) => (NAMES.has(name) && values[name] !== undefined ? values[name]! : whole));
}

/** `text` cut to LAST_RESULT_MAX_CHARS characters with a marker when it was longer. */
export function truncateLastResult(text: string): string {
  return text.length > LAST_RESULT_MAX_CHARS ? `${text.slice(0, LAST_RESULT_MAX_CHARS)}…[truncated]` : text;
}
