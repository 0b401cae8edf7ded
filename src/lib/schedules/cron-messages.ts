/**
 * Cron errors in words that name the field: "Minute: 61 is outside 0–59" rather than
 * cron-parser's "Constraint error, got value 61 expected range 0-59". Pure.
 */
import { CronExpressionParser } from "cron-parser";

const FIELD_NAMES_5 = ["Minute", "Hour", "Day of month", "Month", "Day of week"];
const FIELD_NAMES_6 = ["Second", ...FIELD_NAMES_5];

/** cron-parser's wording → a short clause ("61 is outside 0–59"). */
function clause(raw: string): string {
  let m = /got value (\S+) expected range (\d+)-(\d+)/.exec(raw);
  if (m) return `${m[1]} is outside ${m[2]}–${m[3]}`;
  m = /got range (\S+) expected range (\d+)-(\d+)/.exec(raw);
  if (m) return `the range ${m[1]} is outside ${m[2]}–${m[3]}`;
  m = /Invalid characters, got value: (.*)$/.exec(raw);
  if (m) return `"${m[1]}" is not a value this field takes`;
  const rest = raw.replace(/^(\w+ )?(Constraint|Validation) error, /, "").replace(/^Invalid cron expression,? ?/, "");
  return rest ? rest.charAt(0).toLowerCase() + rest.slice(1) : "not a valid cron expression";
}

/**
 * Explains why cron-parser refused `expression` (5 or 6 space-separated fields) given its
 * error message `raw`: tries each field alone (others "*") and names the first that fails
 * on its own; otherwise explains the whole expression without a field name.
 */
export function explainCronError(expression: string, raw: string): string {
  const fields = expression.trim().split(/\s+/);
  const names = fields.length === 6 ? FIELD_NAMES_6 : FIELD_NAMES_5;
  if (fields.length === names.length) {
    for (let i = 0; i < fields.length; i++) {
      const probe = fields.map((f, j) => (j === i ? f : "*")).join(" ");
      try {
        CronExpressionParser.parse(probe);
      } catch (err) {
        return `${names[i]}: ${clause((err as Error).message)}`;
      }
    }
  }
  return clause(raw);
}
