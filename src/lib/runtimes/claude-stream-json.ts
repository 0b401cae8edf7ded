/**
 * Maps Claude Code's message stream to AgentEvents. The same messages arrive from
 * `claude -p --output-format stream-json --verbose` (one JSON object per stdout line)
 * and from the Claude Agent SDK's `query()` iterator, so both runtimes share this.
 *
 * Claude Code writes one `assistant` line per content block (text, tool_use …), all
 * with the same `message.id`: an agent turn is one message id, not one line. A turn is
 * emitted once, when the next message shows it is complete. Subagent messages
 * (`parent_tool_use_id` set) are not turns of this agent.
 */
import type { FailureReason } from "../db/constants";
import { classifyErrorText } from "./failure-classes";
import type { AgentEvent, RunResult } from "./types";

type Json = Record<string, unknown>;

/** Claude Code's `assistant.error` values → failure classes (explicit, not string matching). */
const ASSISTANT_ERRORS: Record<string, FailureReason> = {
  authentication_failed: "auth_failed",
  oauth_org_not_allowed: "auth_failed",
  account_on_hold: "auth_failed",
  verification_required: "auth_failed",
  cloud_credential_error: "auth_failed",
  billing_error: "budget_exceeded",
  rate_limit: "rate_limited",
  overloaded: "rate_limited",
};

interface PendingTurn {
  id: string;
  text: string[];
  toolCalls: AgentEvent[];
}

/** Stateful mapper for one run; feed it messages in order. */
export class ClaudeStreamParser {
  private pending: PendingTurn | null = null;
  private turnsSeen = 0;
  private lastText: string | null = null;
  private assistantError: string | null = null;
  private finalResult: RunResult | null = null;
  sessionId: string | null = null;

  /** Agent turns completed so far (assistant messages emitted). */
  get turns(): number {
    return this.turnsSeen;
  }

  /** Turns begun, including one still being streamed (for turn-budget enforcement). */
  get turnsStarted(): number {
    return this.turnsSeen + (this.pending ? 1 : 0);
  }

  /** The mapped `result` message, once one arrived (kept even if the stream fails after it). */
  get result(): RunResult | null {
    return this.finalResult;
  }

  /** Maps one message; returns the events it completes (possibly none). */
  push(msg: Json): AgentEvent[] {
    const events: AgentEvent[] = [];
    const sessionId = typeof msg.session_id === "string" ? msg.session_id : null;
    if (sessionId && sessionId !== this.sessionId) {
      this.sessionId = sessionId;
      events.push({ type: "session", sessionId });
    }
    if (msg.type === "assistant" && !msg.parent_tool_use_id && (typeof msg.error === "string" || (msg.message as Json | undefined)?.model === "<synthetic>")) {
      // A synthetic message Claude Code writes for an API error: not a model turn.
      events.push(...this.flush());
      if (typeof msg.error === "string") this.assistantError = msg.error;
      const content = ((msg.message as Json | undefined)?.content ?? []) as Json[];
      const text = (Array.isArray(content) ? content : []).map((b) => (typeof b.text === "string" ? b.text : "")).join("\n");
      if (text) {
        this.lastText = text;
        events.push({ type: "stderr", line: text });
      }
      return events;
    }
    if (msg.type === "assistant" && !msg.parent_tool_use_id) {
      const message = (msg.message ?? {}) as Json;
      const id = typeof message.id === "string" ? message.id : `line-${this.turnsSeen}-${Math.random()}`;
      if (this.pending && this.pending.id !== id) events.push(...this.flush());
      this.pending ??= { id, text: [], toolCalls: [] };
      for (const block of (Array.isArray(message.content) ? message.content : []) as Json[]) {
        if (block.type === "text" && typeof block.text === "string") this.pending.text.push(block.text);
        if (block.type === "tool_use") {
          this.pending.toolCalls.push({ type: "tool_call", id: String(block.id ?? ""), name: String(block.name ?? "tool"), input: block.input ?? null });
        }
      }
      return events;
    }
    events.push(...this.flush());
    if (msg.type === "user" && !msg.parent_tool_use_id) {
      const message = (msg.message ?? {}) as Json;
      for (const block of (Array.isArray(message.content) ? message.content : []) as Json[]) {
        if (block.type !== "tool_result") continue;
        events.push({ type: "tool_result", id: String(block.tool_use_id ?? ""), output: stringifyContent(block.content), isError: block.is_error === true });
      }
    } else if (msg.type === "result") {
      this.finalResult = this.mapResult(msg);
      const usage = (msg.usage ?? {}) as Json;
      events.push({
        type: "usage",
        inputTokens: tokenCount(usage),
        outputTokens: num(usage.output_tokens),
        costUsd: num(msg.total_cost_usd),
      });
    }
    return events;
  }

  /** Emits the turn still being assembled (call at end of stream). */
  flush(): AgentEvent[] {
    const turn = this.pending;
    if (!turn) return [];
    this.pending = null;
    this.turnsSeen += 1;
    const text = turn.text.join("\n");
    if (text) this.lastText = text;
    return [{ type: "assistant", text }, ...turn.toolCalls];
  }

  private mapResult(msg: Json): RunResult {
    const usage = (msg.usage ?? {}) as Json;
    const base = {
      // Assistant messages seen, not `num_turns`: Claude Code counts the turn it refused
      // at the budget too (maxTurns 2 → num_turns 3).
      turns: this.turnsSeen,
      sessionId: (msg.session_id as string | undefined) ?? this.sessionId,
      inputTokens: tokenCount(usage),
      outputTokens: num(usage.output_tokens),
      costUsd: num(msg.total_cost_usd),
      text: typeof msg.result === "string" ? msg.result : this.lastText,
    };
    const errors = Array.isArray(msg.errors) ? (msg.errors as unknown[]).map(String).join("; ") : "";
    switch (msg.subtype) {
      case "success":
        if (msg.is_error !== true) return { ...base, status: "success" };
        return { ...base, status: "error", error: base.text || errors || "Claude Code reported an error", failureReason: this.failureFor(base.text || errors) };
      case "error_max_turns":
        return { ...base, status: "max_turns", error: `Claude Code stopped at its turn budget after ${base.turns} turns` };
      case "error_max_budget_usd":
        return { ...base, status: "error", error: errors || "Claude Code stopped at its cost budget", failureReason: "budget_exceeded" };
      default:
        return { ...base, status: "error", error: errors || `Claude Code ended with ${String(msg.subtype)}`, failureReason: this.failureFor(errors || this.lastText) };
    }
  }

  private failureFor(text: string | null): FailureReason {
    return (this.assistantError && ASSISTANT_ERRORS[this.assistantError]) || classifyErrorText(text);
  }
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** Input tokens including prompt-cache reads and writes (all billed as input). */
function tokenCount(usage: Json): number {
  return num(usage.input_tokens) + num(usage.cache_creation_input_tokens) + num(usage.cache_read_input_tokens);
}

function stringifyContent(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((c) => (c && typeof c === "object" && "text" in c ? String((c as Json).text) : JSON.stringify(c))).join("\n");
  }
  return content == null ? "" : JSON.stringify(content);
}
