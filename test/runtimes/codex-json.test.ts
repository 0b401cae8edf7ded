import { describe, expect, it } from "vitest";
import { CodexJsonParser } from "@/lib/runtimes/codex-json";

describe("codex exec --json parsing", () => {
  it("counts a turn per agent message and per tool item, also items that arrive only completed", () => {
    const p = new CodexJsonParser();
    const lines = [
      { type: "thread.started", thread_id: "t-1" },
      { type: "turn.started" },
      { type: "item.completed", item: { id: "r0", type: "reasoning", text: "thinking" } },
      { type: "item.started", item: { id: "c1", type: "command_execution", command: "ls", status: "in_progress" } },
      { type: "item.completed", item: { id: "c1", type: "command_execution", command: "ls", aggregated_output: "a\n", exit_code: 0, status: "completed" } },
      { type: "item.completed", item: { id: "f2", type: "file_change", changes: [{ path: "a", kind: "add" }], status: "completed" } },
      { type: "item.completed", item: { id: "m3", type: "agent_message", text: "All done" } },
      { type: "turn.completed", usage: { input_tokens: 120, cached_input_tokens: 20, output_tokens: 30 } },
    ];
    const events = lines.flatMap((l) => p.push(l));
    expect(events.map((e) => e.type)).toEqual(["session", "assistant", "tool_call", "tool_result", "assistant", "tool_call", "tool_result", "assistant", "usage"]);
    expect(p.turns).toBe(3);
    expect(p.result).toMatchObject({ status: "success", turns: 3, sessionId: "t-1", text: "All done", inputTokens: 120, outputTokens: 30, costUsd: null });
  });

  it("a failed turn is an error classified from its message; no verdict without turn.completed", () => {
    const p = new CodexJsonParser();
    p.push({ type: "thread.started", thread_id: "t-2" });
    expect(p.result).toBeNull();
    p.push({ type: "turn.failed", error: { message: "unexpected status 401 Unauthorized" } });
    expect(p.result).toMatchObject({ status: "error", failureReason: "auth_failed" });
  });
});
