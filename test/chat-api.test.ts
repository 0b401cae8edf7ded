import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { GET as listConversationsRoute, POST as createConversationRoute } from "@/app/api/chat/conversations/route";
import { GET as listMessagesRoute, POST as postMessageRoute } from "@/app/api/chat/conversations/[id]/messages/route";
import { activeStreamCount } from "@/lib/chat/active-streams";
import { titleFromMessage } from "@/lib/chat/conversations";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { AppError } from "@/lib/errors";
import { resolveRuntime } from "@/lib/runtimes/registry";
import type { AgentRuntime } from "@/lib/runtimes/types";
import { makeConversation, makeRuntime, makeTask, T0, truncateAll } from "./factories";
import { callRoute } from "./http";
import { gate, ScriptedRuntime, success } from "./support/scripted-runtime";
import { rowsOf } from "./support/rows";
import { collectSse, readSse } from "./support/sse";

vi.mock("@/lib/runtimes/registry", () => ({ resolveRuntime: vi.fn() }));

function useRuntime(runtime: AgentRuntime) {
  vi.mocked(resolveRuntime).mockImplementation(async (_db, runtimeId) => ({
    row: { id: runtimeId ?? "default", name: "scripted", kind: "command", config: {}, isDefault: true, createdAt: T0, updatedAt: T0 },
    runtime,
  }));
}

function postMessage(conversationId: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  const req = new Request(`http://127.0.0.1:3000/api/chat/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: { host: "127.0.0.1:3000", "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
  return postMessageRoute(req, { params: Promise.resolve({ id: conversationId }) });
}

const messagesOf = async (conversationId: string) =>
  (await rowsOf("chatMessages")).filter((m) => m.conversationId === conversationId);
const messageById = async (id: string) => (await rowsOf("chatMessages")).find((m) => m.id === id)!;

beforeEach(async () => {
  await truncateAll();
  vi.mocked(resolveRuntime).mockReset();
});
afterEach(() => {
  vi.unstubAllEnvs();
  expect(activeStreamCount()).toBe(0);
});

describe("conversations API", () => {
  it("creates conversations, lists them most recently active first, and rejects an unknown runtime", async () => {
    const rt = await makeRuntime();
    const a = await callRoute(createConversationRoute, "/api/chat/conversations", { method: "POST", json: {} });
    expect(a.status).toBe(201);
    expect(a.data.conversation).toEqual({
      id: expect.any(String),
      title: "New chat",
      runtimeId: null,
      createdAt: expect.stringMatching(/Z$/),
      updatedAt: expect.stringMatching(/Z$/),
    });
    const b = await callRoute(createConversationRoute, "/api/chat/conversations", { method: "POST", json: { title: "Ops", runtimeId: rt.id } });
    expect(b.data.conversation).toMatchObject({ title: "Ops", runtimeId: rt.id });
    const db = getDb();
    const { chatConversations } = tablesOf(db);
    await run(db, db.update(chatConversations).set({ updatedAt: Date.now() + 60_000 }).where(eq(chatConversations.id, a.data.conversation.id)));

    const list = await callRoute(listConversationsRoute, "/api/chat/conversations");
    expect(list.data.conversations.map((c: { id: string }) => c.id)).toEqual([a.data.conversation.id, b.data.conversation.id]);

    const bad = await callRoute(createConversationRoute, "/api/chat/conversations", { method: "POST", json: { runtimeId: "nope", title: "" } });
    expect(bad.status).toBe(400);
    expect(bad.data).toMatchObject({ error: "invalid_request", fields: { title: expect.any(String) } });
    const unknown = await callRoute(createConversationRoute, "/api/chat/conversations", { method: "POST", json: { runtimeId: "nope" } });
    expect(unknown.status).toBe(400);
    expect(unknown.data.fields).toEqual({ runtimeId: "unknown runtime nope" });
    expect(await rowsOf("chatConversations")).toHaveLength(2);
  });

  it("titles an untitled conversation from the start of its first message", () => {
    expect(titleFromMessage("  Short question\nwith details")).toBe("Short question");
    const long = "Please summarize every open pull request in the repository and flag the ones that touch the scheduler";
    expect(titleFromMessage(long)).toBe("Please summarize every open pull request in the repository…");
  });

  it("answers 404 for the messages of an unknown conversation", async () => {
    const res = await callRoute(listMessagesRoute, "/api/chat/conversations/x/messages", { params: { id: "x" } });
    expect(res.status).toBe(404);
    expect(res.data.error).toBe("conversation_not_found");
  });
});

describe("POST /api/chat/conversations/:id/messages (SSE)", () => {
  it("streams status, deltas and done in order, then lists the finalized messages", async () => {
    const runtime = new ScriptedRuntime([
      { type: "session", sessionId: "sess-1" },
      { type: "text_delta", text: "Hel" },
      { type: "text_delta", text: "lo" },
      { type: "assistant", text: "Hello" },
      { type: "tool_call", name: "search", input: { q: "x" } },
      { type: "tool_result", output: "found" },
      { type: "assistant", text: "World" },
      success(2, { sessionId: "sess-1" }),
    ]);
    useRuntime(runtime);
    const conv = await makeConversation({ title: "New chat" });

    const res = await postMessage(conv.id, { content: "Say hello\nplease" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("cache-control")).toContain("no-cache");
    const events = await collectSse(res.body!);
    const messageId = events[0].messageId;
    expect(events).toEqual([
      { type: "status", status: "streaming", conversationId: conv.id, messageId: expect.any(String), userMessageId: expect.any(String), heldBackTasks: 0 },
      { type: "delta", text: "Hel" },
      { type: "delta", text: "lo" },
      { type: "delta", text: "\n\nWorld" },
      { type: "done", messageId },
    ]);
    expect(runtime.inputs[0]).toMatchObject({ prompt: "Say hello\nplease", resumeSessionId: null, maxTurns: 100 });

    const listed = await callRoute(listMessagesRoute, `/api/chat/conversations/${conv.id}/messages`, { params: { id: conv.id } });
    expect(listed.data.messages).toEqual([
      { id: events[0].userMessageId, conversationId: conv.id, role: "user", content: "Say hello\nplease", status: "complete", error: null, createdAt: expect.any(String) },
      { id: messageId, conversationId: conv.id, role: "assistant", content: "Hello\n\nWorld", status: "complete", error: null, createdAt: expect.any(String) },
    ]);
    const saved = (await rowsOf("chatConversations")).find((c) => c.id === conv.id)!;
    expect(saved).toMatchObject({ sessionId: "sess-1", title: "Say hello" });
  });

  it("counts in the active streams and saves received text in batches while streaming", async () => {
    const hold = gate();
    useRuntime(new ScriptedRuntime([{ type: "text_delta", text: "first part" }, { gate: hold }, { type: "assistant", text: "first part, rest" }, success(1)]));
    await makeTask({ status: "queued", sourceType: "scheduled", plannedAt: T0 });
    const conv = await makeConversation();
    const stream = readSse((await postMessage(conv.id, { content: "go" })).body!);

    const status = (await stream.next()).value!;
    expect(status).toEqual({ data: expect.objectContaining({ type: "status", heldBackTasks: 1 }) });
    expect((await stream.next()).value).toEqual({ data: { type: "delta", text: "first part" } });
    expect(activeStreamCount()).toBe(1);
    const messageId = (status as { data: { messageId: string } }).data.messageId;
    await vi.waitFor(async () => expect(await messageById(messageId)).toMatchObject({ status: "streaming", content: "first part" }));

    hold.open();
    const rest = [];
    for await (const item of stream) rest.push(item);
    expect(rest).toEqual([{ data: { type: "delta", text: ", rest" } }, { data: { type: "done", messageId } }]);
    expect(activeStreamCount()).toBe(0);
    expect(await messageById(messageId)).toMatchObject({ status: "complete", content: "first part, rest" });
  });

  it("sends a keepalive comment at the configured interval (15 s by default)", async () => {
    vi.stubEnv("AGENTCRON_SSE_KEEPALIVE_MS", "20");
    const hold = gate();
    useRuntime(new ScriptedRuntime([{ type: "text_delta", text: "a" }, { gate: hold }, { type: "assistant", text: "ab" }, success(1)]));
    const conv = await makeConversation();
    const seen: unknown[] = [];
    for await (const item of readSse((await postMessage(conv.id, { content: "hi" })).body!)) {
      seen.push("data" in item ? item.data.type : `:${item.comment}`);
      if ("comment" in item) hold.open();
    }
    // A keepalive may come before `status` (the turn's writes can take longer than 20 ms).
    const events = seen.filter((x) => x !== ":keepalive");
    expect(events).toEqual(["status", "delta", "delta", "done"]);
    expect(seen).toContain(":keepalive");

    vi.unstubAllEnvs();
    const { sseKeepaliveMs } = await import("@/lib/http/sse");
    expect(sseKeepaliveMs()).toBe(15_000);
  });

  it("aborts the agent when the client disconnects and finalizes the message as aborted", async () => {
    const runtime = new ScriptedRuntime([{ type: "text_delta", text: "partial answer" }, { gate: gate() }, { type: "assistant", text: "never" }, success(1)]);
    useRuntime(runtime);
    const conv = await makeConversation();
    const client = new AbortController();
    const stream = readSse((await postMessage(conv.id, { content: "long question" }, client.signal)).body!);
    const status = (await stream.next()).value as { data: { messageId: string } };
    await stream.next(); // the first delta

    client.abort();
    await vi.waitFor(async () => expect(await messageById(status.data.messageId)).toMatchObject({ status: "aborted" }));
    expect(runtime.inputs[0].signal.aborted).toBe(true);
    expect(await messageById(status.data.messageId)).toMatchObject({ content: "partial answer", error: "Stopped by the user" });
    expect(activeStreamCount()).toBe(0);
  });

  it("aborts the agent when the response stream is cancelled", async () => {
    const runtime = new ScriptedRuntime([{ gate: gate() }, success(1)]);
    useRuntime(runtime);
    const conv = await makeConversation();
    const body = (await postMessage(conv.id, { content: "q" })).body!;
    const reader = body.getReader();
    await reader.read(); // status
    await reader.cancel();
    await vi.waitFor(async () => expect((await messagesOf(conv.id)).find((m) => m.role === "assistant")).toMatchObject({ status: "aborted" }));
    expect(runtime.inputs[0].signal.aborted).toBe(true);
    // Nothing was received: the message says so instead of staying empty.
    expect((await messagesOf(conv.id)).find((m) => m.role === "assistant")!.content).toBe("(stopped before any reply)");
  });

  it("finalizes as error with the received text when the runtime fails", async () => {
    useRuntime(
      new ScriptedRuntime([
        { type: "text_delta", text: "Working on" },
        { type: "result", result: { status: "error", turns: 0, error: "429 rate limit reached", failureReason: "rate_limited" } },
      ]),
    );
    const conv = await makeConversation();
    const events = await collectSse((await postMessage(conv.id, { content: "q" })).body!);
    const messageId = events[0].messageId;
    expect(events.slice(1)).toEqual([
      { type: "delta", text: "Working on" },
      { type: "error", message: "429 rate limit reached", messageId, status: "error" },
    ]);
    expect(await messageById(messageId)).toMatchObject({ status: "error", content: "Working on", error: "429 rate limit reached" });
  });

  it("finalizes as error when the runtime throws, and never leaves an empty message", async () => {
    useRuntime(new ScriptedRuntime([{ throw: "socket hang up" }]));
    const conv = await makeConversation();
    const events = await collectSse((await postMessage(conv.id, { content: "q" })).body!);
    expect(events.map((e) => e.type)).toEqual(["status", "error"]);
    expect(events[1].message).toBe("The runtime failed: socket hang up");
    expect(await messageById(events[0].messageId)).toMatchObject({ status: "error", content: "(no reply: The runtime failed: socket hang up)" });
  });

  it("resumes the runtime session on the next message of the conversation", async () => {
    const runtime = new ScriptedRuntime((input, call) => [
      { type: "session", sessionId: "sess-42" },
      { type: "assistant", text: `reply ${call} to ${input.prompt}` },
      success(1, { sessionId: "sess-42" }),
    ]);
    useRuntime(runtime);
    const conv = await makeConversation();
    await collectSse((await postMessage(conv.id, { content: "first" })).body!);
    await collectSse((await postMessage(conv.id, { content: "second" })).body!);
    expect(runtime.inputs.map((i) => [i.prompt, i.resumeSessionId])).toEqual([
      ["first", null],
      ["second", "sess-42"],
    ]);
    expect((await messagesOf(conv.id)).map((m) => m.content)).toEqual(["first", "reply 1 to first", "second", "reply 2 to second"]);
  });

  it("replays earlier messages as a transcript for a runtime without sessions", async () => {
    const runtime = new ScriptedRuntime((_input, call) => [{ type: "assistant", text: `answer ${call}` }, success(1)]);
    useRuntime(runtime);
    const conv = await makeConversation();
    await collectSse((await postMessage(conv.id, { content: "What is 2+2?" })).body!);
    await collectSse((await postMessage(conv.id, { content: "And doubled?" })).body!);
    expect(runtime.inputs[1].resumeSessionId).toBeNull();
    expect(runtime.inputs[1].prompt).toBe(
      "The conversation so far:\n\nUser: What is 2+2?\n\nAssistant: answer 1\n\nReply to the user's new message.\n\nUser: And doubled?",
    );
  });

  it("rejects bad input, unknown conversations, a busy conversation and an unavailable runtime before writing anything", async () => {
    const conv = await makeConversation();
    const empty = await postMessage(conv.id, { content: "   " });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: "invalid_request", fields: { content: "must not be empty" } });
    const missing = await postMessage(conv.id, {});
    expect((await missing.json()).fields).toEqual({ content: expect.any(String) });
    const extra = await postMessage(conv.id, { content: "hi", role: "assistant" });
    expect(extra.status).toBe(400);
    const tooLong = await postMessage(conv.id, { content: "x".repeat(100_001) });
    expect((await tooLong.json()).fields).toEqual({ content: "must be at most 100000 characters" });

    const unknown = await postMessage("no-such-id", { content: "hi" });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toBe("conversation_not_found");

    vi.mocked(resolveRuntime).mockImplementation(() => {
      throw new AppError("runtime_unavailable", "No runtime available for the default runtime.");
    });
    const noRuntime = await postMessage(conv.id, { content: "hi" });
    expect(noRuntime.status).toBe(422);
    expect(await noRuntime.json()).toMatchObject({ error: "runtime_unavailable" });
    expect(await messagesOf(conv.id)).toEqual([]);

    const hold = gate();
    useRuntime(new ScriptedRuntime([{ gate: hold }, { type: "assistant", text: "ok" }, success(1)]));
    const first = readSse((await postMessage(conv.id, { content: "one" })).body!);
    await first.next();
    const busy = await postMessage(conv.id, { content: "two" });
    expect(busy.status).toBe(409);
    expect((await busy.json()).error).toBe("conversation_busy");
    hold.open();
    for await (const _ of first);
    expect((await messagesOf(conv.id)).map((m) => [m.role, m.content, m.status])).toEqual([
      ["user", "one", "complete"],
      ["assistant", "ok", "complete"],
    ]);
  });

  it("refuses a cross-origin post", async () => {
    const conv = await makeConversation();
    const res = await callRoute(postMessageRoute, `/api/chat/conversations/${conv.id}/messages`, {
      method: "POST",
      json: { content: "hi" },
      headers: { origin: "http://evil.example" },
      params: { id: conv.id },
    });
    expect(res.status).toBe(403);
    expect(await messagesOf(conv.id)).toEqual([]);
  });
});
