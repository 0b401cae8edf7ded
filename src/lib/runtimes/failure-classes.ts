/**
 * Failure classification. Runtimes set `failureReason` explicitly where they know it
 * (HTTP status, exit code, abort reason); this string matching is only the fallback
 * for errors that arrive as bare text.
 */
import { FAILURE_REASONS, type FailureReason } from "../db/constants";
import type { RunResult } from "./types";

const PATTERNS: [RegExp, FailureReason][] = [
  [/\b401\b|\b403\b|unauthori[sz]ed|invalid (x-)?api[ -]?key|authentication|forbidden/i, "auth_failed"],
  [/\b429\b|rate.?limit|too many requests|overloaded/i, "rate_limited"],
  [/\bENOENT\b.*(spawn|exec)|executable not found|command not found/i, "runtime_missing_executable"],
  [/ECONNREFUSED|ENOTFOUND|ECONNRESET|EAI_AGAIN|EHOSTUNREACH|fetch failed|socket hang up|network error|connection (refused|error)/i, "network"],
  [/timed? ?out|ETIMEDOUT|deadline exceeded/i, "timeout"],
  [/budget|insufficient (credit|quota)|billing/i, "budget_exceeded"],
];

/** Best-effort failure class for an error message; `agent_error` when nothing matches. */
export function classifyErrorText(text: string | null | undefined): FailureReason {
  if (!text) return "agent_error";
  for (const [re, reason] of PATTERNS) if (re.test(text)) return reason;
  return "agent_error";
}

/** True for one of the known failure classes. */
export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === "string" && (FAILURE_REASONS as readonly string[]).includes(value);
}

/** The failure class of an aborted run: the abort reason when it names one (`lease_expired`, `timeout` …), else `aborted`. */
export function abortFailureReason(signal: AbortSignal): FailureReason {
  return isFailureReason(signal.reason) ? signal.reason : "aborted";
}

/**
 * The result of a run stopped by its signal. `partial` carries what the run had
 * (turns, session, usage); without it, the run was aborted before it started.
 */
export function abortedResult(signal: AbortSignal, partial?: Omit<RunResult, "status" | "error" | "failureReason">): RunResult {
  return partial
    ? { ...partial, status: "error", error: `Aborted (${String(signal.reason ?? "abort")})`, failureReason: abortFailureReason(signal) }
    : { status: "error", turns: 0, error: "Aborted before start", failureReason: abortFailureReason(signal) };
}
