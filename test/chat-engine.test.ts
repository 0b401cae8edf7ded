import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatStreamEvent } from "@/lib/api-types";
import { activeStreamCount } from "@/lib/chat/active-streams";
import { isConversationStreaming, prepareChatTurn } from "@/lib/chat/chat-engine";
import { listMessages, recentMessages } from "@/lib/chat/conversations";
import { getDb } from "@/lib/db/client";
import { finalizeTurn, updateStreamingContent } from "@/lib/db/queries/chat";
import type { resolveRuntime } from "@/lib/runtimes/registry";
import type { AgentEvent, AgentRuntime } from "@/lib/runtimes/types";
import { makeConversation, makeRunner, T0, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";
import { ScriptedRuntime, success } from "./support/scripted-runtime";

// The message writes, counted (dialect-neutral): the real queries run, wrapped in spies.
vi.mock("@/lib/db/queries/chat", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/db/queries/chat")>();
  return { ...actual, updateStreamingContent: vi.fn(actual.updateStreamingContent), finalizeTurn: vi.fn(actual.finalizeTurn) };
});

const resolverFor =
  (runtime: AgentRuntime): typeof resolveRuntime =>
  async () => ({ row: { id: "rt", name: "scripted", kind: "command", config: {}, isDefault: true, createdAt: T0, updatedAt: T0 }, runtime });

async function runTurn(runtime: AgentRuntime, opts: { signal?: AbortSignal; abortGraceMs?: number; runnerId?: string } = {}) {
  const conv = await makeConversation();
  const events: ChatStreamEvent[] = [];
  const turn = await prepareChatTurn({
    db: getDb(),
    conversationId: conv.id,
    content: "question",
    runnerId: opts.runnerId ?? null,
    resolveRuntime: resolverFor(runtime),
    abortGraceMs: opts.abortGraceMs,
  });
  const result = await turn.run({ emit: (e) => events.push(e), signal: opts.signal ?? new AbortController().signal });
  const message = (await rowsOf("chatMessages")).find((m) => m.id === result.messageId)!;
  return { conv, events, result, message };
}

beforeEach(async () => truncateAll());

describe("chat engine", () => {
  it("streams whole assistant messages as deltas for a runtime without token deltas", async () => {
    const { events, message } = await runTurn(
      new ScriptedRuntime([{ type: "assistant", text: "Step one." }, { type: "assistant", text: "Step two." }, success(2)]),
    );
    expect(events.filter((e) => e.type === "delta")).toEqual([
      { type: "delta", text: "Step one." },
      { type: "delta", text: "\n\nStep two." },
    ]);
    expect(message).toMatchObject({ status: "complete", content: "Step one.\n\nStep two." });
  });

  it("uses the result text when the runtime sent no assistant message", async () => {
    const { events, message } = await runTurn(new ScriptedRuntime([success(1, { text: "Only in the result" })]));
    expect(events.map((e) => e.type)).toEqual(["status", "delta", "done"]);
    expect(message.content).toBe("Only in the result");
  });

  it("ends a turn that hit the turn budget as an error that names the budget", async () => {
    const { events, message } = await runTurn(
      new ScriptedRuntime([{ type: "assistant", text: "looping" }, { type: "result", result: { status: "max_turns", turns: 100 } }]),
    );
    expect(events.at(-1)).toMatchObject({ type: "error", status: "error", message: "Stopped at the turn budget of 100 agent turns" });
    expect(message).toMatchObject({ status: "error", content: "looping" });
  });

  it("writes streamed text in batches, not once per delta", async () => {
    vi.mocked(updateStreamingContent).mockClear();
    vi.mocked(finalizeTurn).mockClear();
    const deltas: AgentEvent[] = Array.from({ length: 500 }, (_, i) => ({ type: "text_delta", text: `t${i} ` }));
    const { events, message } = await runTurn(new ScriptedRuntime([...deltas, success(1)]));
    expect(events.filter((e) => e.type === "delta")).toHaveLength(500);
    expect(message.content).toBe(deltas.map((d) => (d as { text: string }).text).join(""));
    // Updates of the message after it was written: the batched flushes plus the final one.
    const writes = vi.mocked(updateStreamingContent).mock.calls.length + vi.mocked(finalizeTurn).mock.calls.length;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(3);
  });

  it("stops waiting for a runtime that ignores its abort signal after the grace period", async () => {
    const stop = new AbortController();
    const runtime = new ScriptedRuntime([{ type: "text_delta", text: "stuck" }, { gate: { promise: new Promise(() => {}), open: () => {} } }], {
      ignoreAbort: true,
    });
    void runtime.started.promise.then(() => setImmediate(() => stop.abort("cancelled")));
    const { result, message, conv } = await runTurn(runtime, { signal: stop.signal, abortGraceMs: 20 });
    expect(result.status).toBe("aborted");
    expect(message).toMatchObject({ status: "aborted", content: "stuck" });
    expect(activeStreamCount()).toBe(0);
    expect(isConversationStreaming(conv.id)).toBe(false);
  });

  it("stamps the streaming message with the runner that serves it", async () => {
    const runner = await makeRunner();
    let seen: unknown;
    const runtime: AgentRuntime = {
      kind: "probe",
      async *run() {
        seen = (await rowsOf("chatMessages")).find((m) => m.role === "assistant");
        yield success(1, { text: "ok" });
      },
    };
    await runTurn(runtime, { runnerId: runner.id });
    expect(seen).toMatchObject({ status: "streaming", runnerId: runner.id, content: "" });
  });

  it("keeps a conversation's messages in the order written when every turn lands in the same millisecond", async () => {
    const conv = await makeConversation();
    const frozen = { now: () => T0, monotonic: () => 0, boottime: () => null };
    for (const question of ["one", "two", "three"]) {
      const turn = await prepareChatTurn({
        db: getDb(),
        conversationId: conv.id,
        content: question,
        runnerId: null,
        clock: frozen,
        resolveRuntime: resolverFor(new ScriptedRuntime([{ type: "assistant", text: `re ${question}` }, success(1)])),
      });
      await turn.run({ emit: () => {}, signal: new AbortController().signal });
    }
    const expected = ["one", "re one", "two", "re two", "three", "re three"];
    expect((await listMessages(conv.id)).map((m) => m.content)).toEqual(expected);
    expect((await recentMessages(conv.id, 3)).map((m) => m.content)).toEqual(expected.slice(-3));
  });
});
