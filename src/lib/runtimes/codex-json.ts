/**
 * Maps `codex exec --json` JSONL events to AgentEvents.
 *
 * Codex's own "turn" is a whole user turn (many model calls), and `codex exec` has no
 * max-turns flag, so agent turns are counted here: each model step that produced an
 * `agent_message` or started a tool item (command_execution, file_change,
 * mcp_tool_call, web_search) is one agent turn. The command runtime enforces the turn
 * budget on that count.
 */
import { classifyErrorText } from "./failure-classes";
import type { AgentEvent, RunResult } from "./types";

type Json = Record<string, unknown>;

const TOOL_ITEMS = new Set(["command_execution", "file_change", "mcp_tool_call", "web_search"]);

/** Stateful mapper for one Codex run; feed it parsed JSONL objects in order. */
export class CodexJsonParser {
  private turnsSeen = 0;
  private lastText: string | null = null;
  private inputTokens = 0;
  private outputTokens = 0;
  private sawUsage = false;
  private error: string | null = null;
  private completed = false;
  private readonly started = new Set<string>();
  sessionId: string | null = null;

  get turns(): number {
    return this.turnsSeen;
  }

  /** Same as `turns`: Codex reports a step only once it started. */
  get turnsStarted(): number {
    return this.turnsSeen;
  }

  push(msg: Json): AgentEvent[] {
    const item = (msg.item ?? {}) as Json;
    switch (msg.type) {
      case "thread.started":
        this.sessionId = String(msg.thread_id ?? "");
        return this.sessionId ? [{ type: "session", sessionId: this.sessionId }] : [];
      case "item.started":
        return TOOL_ITEMS.has(String(item.type)) ? this.startTool(item) : [];
      case "item.completed":
        if (item.type === "agent_message") {
          this.turnsSeen += 1;
          this.lastText = String(item.text ?? "");
          return [{ type: "assistant", text: this.lastText }];
        }
        if (TOOL_ITEMS.has(String(item.type))) {
          // Some items (file_change) arrive completed without a started event.
          const started = this.started.has(String(item.id)) ? [] : this.startTool(item);
          const output = item.aggregated_output ?? item.result ?? item.changes ?? "";
          const isError = item.status === "failed" || (typeof item.exit_code === "number" && item.exit_code !== 0);
          return [...started, { type: "tool_result", id: String(item.id ?? ""), output: typeof output === "string" ? output : JSON.stringify(output), isError }];
        }
        if (item.type === "error") return [{ type: "stderr", line: String(item.message ?? "") }];
        return [];
      case "turn.completed": {
        this.completed = true;
        const usage = (msg.usage ?? {}) as Json;
        const input = Number(usage.input_tokens ?? 0);
        const output = Number(usage.output_tokens ?? 0);
        this.inputTokens += input;
        this.outputTokens += output;
        this.sawUsage = true;
        return [{ type: "usage", inputTokens: input, outputTokens: output }];
      }
      case "turn.failed":
        this.error = String(((msg.error ?? {}) as Json).message ?? "Codex turn failed");
        return [];
      case "error":
        this.error = String(msg.message ?? "Codex error");
        return [{ type: "stderr", line: this.error }];
      default:
        return [];
    }
  }

  flush(): AgentEvent[] {
    return [];
  }

  private startTool(item: Json): AgentEvent[] {
    this.started.add(String(item.id));
    this.turnsSeen += 1;
    return [{ type: "assistant", text: "" }, { type: "tool_call", id: String(item.id ?? ""), name: String(item.type), input: toolInput(item) }];
  }

  /** The run's result from what was seen; null when the stream ended without a verdict. */
  get result(): RunResult | null {
    const base = {
      turns: this.turnsSeen,
      sessionId: this.sessionId,
      inputTokens: this.sawUsage ? this.inputTokens : null,
      outputTokens: this.sawUsage ? this.outputTokens : null,
      costUsd: null,
      text: this.lastText,
    };
    if (this.error) return { ...base, status: "error", error: this.error, failureReason: classifyErrorText(this.error) };
    if (this.completed) return { ...base, status: "success" };
    return null;
  }
}

function toolInput(item: Json): unknown {
  if (item.type === "command_execution") return { command: item.command };
  if (item.type === "mcp_tool_call") return { server: item.server, tool: item.tool, arguments: item.arguments };
  if (item.type === "web_search") return { query: item.query };
  return { changes: item.changes };
}
