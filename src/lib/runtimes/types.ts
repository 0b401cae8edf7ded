/**
 * The one interface every agent runtime implements (DESIGN.md "Runtimes").
 * Runtimes know nothing about schedules or tasks: they take a prompt and a turn
 * budget, stream AgentEvents, and finish with exactly one `result` event.
 */
import type { RunStatus } from "../api-types";
import type { FailureReason } from "../db/constants";

/** What a run produced, in order. The last event of every run is `result`. */
export type AgentEvent =
  | { type: "session"; sessionId: string }
  /** One assistant message = one agent turn (never a log row or a token). */
  | { type: "assistant"; text: string }
  /**
   * Optional: a piece of the assistant message being generated, for token-level chat
   * streaming. A runtime that emits deltas still emits the whole `assistant` message
   * at the end of the turn; consumers that don't stream (task persistence) skip deltas.
   */
  | { type: "text_delta"; text: string }
  | { type: "tool_call"; id?: string; name: string; input: unknown }
  | { type: "tool_result"; id?: string; output: string; isError?: boolean }
  | { type: "stderr"; line: string }
  | { type: "usage"; inputTokens: number; outputTokens: number; costUsd?: number }
  | { type: "result"; result: RunResult };


/** How a run ended. */
export interface RunResult {
  /** success: the agent finished; max_turns: stopped at the turn budget; error: anything else. */
  status: RunStatus;
  /** Agent turns taken (assistant messages). */
  turns: number;
  sessionId?: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  costUsd?: number | null;
  /** The final assistant text, when the runtime has one. */
  text?: string | null;
  /** Human-readable error for status `error`. */
  error?: string | null;
  /** The failure class, set explicitly by the runtime where it knows it (status `error`). */
  failureReason?: FailureReason | null;
}

export interface RunInput {
  prompt: string;
  /** Turn budget: the run must stop after this many agent turns (status `max_turns`). */
  maxTurns: number;
  cwd?: string;
  /** A session to resume (retries, chat follow-ups), where the runtime supports it. */
  resumeSessionId?: string | null;
  /** Extra environment variables for the agent process. */
  env?: Record<string, string>;
  /**
   * Aborts the run: graceful first, then every descendant process is killed after a
   * grace period (≤ 5 s). The run still ends with a `result` event (status `error`,
   * failureReason `aborted` unless the abort reason names another class).
   */
  signal: AbortSignal;
  /**
   * Called synchronously right after the run spawns a process group (its leader's pid =
   * pgid), so the caller can record the agent's processes durably (ADR 0005). A runtime
   * calls it for every process group it spawns (trackProcessGroup does).
   */
  onProcessGroup?: (pgid: number) => void;
  /**
   * Cost cap of this run in USD (schedule maxCostUsdPerRun), for runtimes that enforce one
   * themselves (the Claude Agent SDK's `maxBudgetUsd`). The executor enforces it for every
   * runtime from the streamed usage (budgets/run-budget.ts).
   */
  maxCostUsd?: number | null;
}

export interface AgentRuntime {
  readonly kind: string;
  /** Starts a run. Never throws synchronously; failures arrive as a `result` event. */
  run(input: RunInput): AsyncIterable<AgentEvent>;
}
