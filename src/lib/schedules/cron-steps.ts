/**
 * Steps that don't divide their field (issue #12 item 9): cron's `*\/7` in the minute
 * field means minutes 0, 7, …, 56 of EVERY hour — the step restarts at :00, so the
 * last gap is 4 minutes, not 7. cronstrue reads it as "Every 7 minutes", which is untrue.
 * This module rewrites such a field into its explicit list (which cronstrue describes
 * truthfully) and says where the short gap falls. Pure.
 */

interface StepField {
  /** Index in a 5-field expression (a 6-field one has the seconds first). */
  unit: "second" | "minute" | "hour";
  span: number;
}

const NAMES_5: (StepField | null)[] = [{ unit: "minute", span: 60 }, { unit: "hour", span: 24 }, null, null, null];
const NAMES_6: (StepField | null)[] = [{ unit: "second", span: 60 }, ...NAMES_5];

const full = (f: string | undefined) => f === "*" || f === "?";

/**
 * For an expression (5 or 6 fields) whose second, minute or hour field is a full-range
 * step that doesn't divide the field (`*\/7`, `0/7`, `0-59/7` minutes; `*\/5` hours),
 * returns the expression with those fields written as lists plus one note per field
 * saying the real spacing ("7 minutes apart, then 4 minutes from :56 to :00" — the
 * wrap-around is said only when the enclosing field repeats every unit). Returns null
 * when no field is uneven (the expression is described as is).
 */
export function unevenSteps(expression: string): { expression: string; notes: string[] } | null {
  const fields = expression.trim().split(/\s+/);
  const kinds = fields.length === 6 ? NAMES_6 : fields.length === 5 ? NAMES_5 : null;
  if (!kinds) return null;
  const notes: string[] = [];
  const out = [...fields];
  kinds.forEach((kind, i) => {
    if (!kind) return;
    const m = new RegExp(`^(?:\\*|0|0-${kind.span - 1})/(\\d+)$`).exec(fields[i]);
    if (!m) return;
    const step = Number(m[1]);
    if (step <= 1 || step >= kind.span || kind.span % step === 0) return;
    const values: number[] = [];
    for (let v = 0; v < kind.span; v += step) values.push(v);
    out[i] = values.join(",");
    const last = values[values.length - 1];
    const gap = kind.span - last;
    const at = (v: number) => (kind.unit === "second" ? `second ${v}` : kind.unit === "minute" ? `:${String(v).padStart(2, "0")}` : `${String(v).padStart(2, "0")}:00`);
    // The enclosing field: minutes for seconds, hours for minutes, the day fields for hours.
    const wraps = kind.unit === "hour" ? full(fields[i + 1]) && full(fields[i + 3]) : full(fields[i + 1]);
    const plural = (n: number) => `${n} ${kind.unit}${n === 1 ? "" : "s"}`;
    notes.push(wraps ? `${plural(step)} apart, then ${plural(gap)} from ${at(last)} to ${at(0)}` : `${plural(step)} apart within each ${kind.unit === "second" ? "minute" : kind.unit === "minute" ? "hour" : "day"}`);
  });
  return notes.length ? { expression: out.join(" "), notes } : null;
}
