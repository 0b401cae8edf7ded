import { describe, expect, it } from "vitest";
import { ClaudeStreamParser } from "@/lib/runtimes/claude-stream-json";

const assistant = (id: string, content: unknown[], extra: Record<string, unknown> = {}) => ({ type: "assistant", message: { id, role: "assistant", content }, session_id: "s", ...extra });

describe("Claude Code stream-json parsing", () => {
  it("one turn per message id (not per line); subagent messages are not turns; num_turns is not trusted", () => {
    const p = new ClaudeStreamParser();
    const events = [
      { type: "system", subtype: "init", session_id: "s" },
      assistant("m1", [{ type: "text", text: "Let me look" }]),
      assistant("m1", [{ type: "tool_use", id: "t1", name: "Task", input: {} }]),
      assistant("sub1", [{ type: "text", text: "subagent" }], { parent_tool_use_id: "t1" }),
      { type: "user", message: { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "ok" }] }] }, session_id: "s" },
      assistant("m2", [{ type: "text", text: "Finished" }]),
      { type: "result", subtype: "success", is_error: false, result: "Finished", num_turns: 7, session_id: "s", total_cost_usd: 0.02, usage: { input_tokens: 5, cache_read_input_tokens: 100, output_tokens: 9 } },
    ].flatMap((m) => p.push(m));
    expect(events.map((e) => e.type)).toEqual(["session", "assistant", "tool_call", "tool_result", "assistant", "usage"]);
    expect(events[1]).toEqual({ type: "assistant", text: "Let me look" });
    expect(events[3]).toMatchObject({ type: "tool_result", id: "t1", output: "ok", isError: false });
    expect(p.result).toMatchObject({ status: "success", turns: 2, text: "Finished", costUsd: 0.02, inputTokens: 105, outputTokens: 9 });
  });

  it.each([
    ["error_max_turns", {}, { status: "max_turns" }],
    ["error_max_budget_usd", {}, { status: "error", failureReason: "budget_exceeded" }],
    ["error_during_execution", { errors: ["socket hang up"] }, { status: "error", failureReason: "network", error: "socket hang up" }],
    ["success", { is_error: true, result: "API Error: 500 boom" }, { status: "error", failureReason: "agent_error" }],
  ])("maps result subtype %s", (subtype, extra, expected) => {
    const p = new ClaudeStreamParser();
    p.push({ type: "result", subtype, session_id: "s", num_turns: 1, ...extra });
    expect(p.result).toMatchObject(expected);
  });

  it("Claude Code's explicit assistant error wins over text matching", () => {
    const p = new ClaudeStreamParser();
    p.push(assistant("x", [{ type: "text", text: "Something odd" }], { error: "rate_limit" }));
    p.push({ type: "result", subtype: "success", is_error: true, result: "Something odd", session_id: "s" });
    expect(p.result).toMatchObject({ status: "error", failureReason: "rate_limited", turns: 0 });
  });
});
