import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DELETE as deleteRoute, PATCH as patchRoute } from "@/app/api/chat/conversations/[id]/route";
import { POST as postMessageRoute } from "@/app/api/chat/conversations/[id]/messages/route";
import { POST as retryRoute } from "@/app/api/chat/conversations/[id]/messages/[messageId]/retry/route";
import { activeStreamCount } from "@/lib/chat/active-streams";
import { resolveRuntime } from "@/lib/runtimes/registry";
import type { AgentRuntime } from "@/lib/runtimes/types";
import { makeConversation, makeMessage, T0, truncateAll } from "./factories";
import { callRoute } from "./http";
import { gate, ScriptedRuntime, success } from "./support/scripted-runtime";
import { rowsOf } from "./support/rows";
import { collectSse } from "./support/sse";

vi.mock("@/lib/runtimes/registry", () => ({ resolveRuntime: vi.fn() }));

function useRuntime(runtime: AgentRuntime) {
  vi.mocked(resolveRuntime).mockImplementation(async (_db, runtimeId) => ({
    row: { id: runtimeId ?? "default", name: "scripted", kind: "command", config: {}, isDefault: true, createdAt: T0, updatedAt: T0 },
    runtime,
  }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const post = (handler: (req: Request, ctx: { params: Promise<any> }) => Promise<Response>, path: string, params: Record<string, string>, body?: unknown) =>
  handler(
    new Request(`http://127.0.0.1:3000${path}`, {
      method: "POST",
      headers: { host: "127.0.0.1:3000", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { params: Promise.resolve(params) },
  );
const messagesOf = async (id: string) => (await rowsOf("chatMessages")).filter((m) => m.conversationId === id);
const conversationById = async (id: string) => (await rowsOf("chatConversations")).find((c) => c.id === id);

beforeEach(async () => {
  await truncateAll();
  vi.mocked(resolveRuntime).mockReset();
});
afterEach(() => expect(activeStreamCount()).toBe(0));

describe("PATCH /api/chat/conversations/:id (rename)", () => {
  it("renames, trims, keeps updatedAt; 400 on an empty or unknown field, 404 unknown, nothing written on failure", async () => {
    const conv = await makeConversation({ title: "Old", updatedAt: T0 });
    const res = await callRoute(patchRoute, `/api/chat/conversations/${conv.id}`, { method: "PATCH", json: { title: "  Release notes  " }, params: { id: conv.id } });
    expect(res.status).toBe(200);
    expect(res.data.conversation).toMatchObject({ id: conv.id, title: "Release notes", updatedAt: new Date(T0).toISOString() });

    for (const body of [{ title: "   " }, {}, { title: "x", runtimeId: "r" }, { title: "x".repeat(201) }]) {
      const bad = await callRoute(patchRoute, `/api/chat/conversations/${conv.id}`, { method: "PATCH", json: body, params: { id: conv.id } });
      expect(bad.status).toBe(400);
      expect(bad.data.error).toBe("invalid_request");
    }
    expect((await conversationById(conv.id))?.title).toBe("Release notes");
    const missing = await callRoute(patchRoute, "/api/chat/conversations/nope", { method: "PATCH", json: { title: "x" }, params: { id: "nope" } });
    expect(missing).toMatchObject({ status: 404, data: { error: "conversation_not_found" } });
  });
});

describe("DELETE /api/chat/conversations/:id", () => {
  it("deletes the conversation and its messages; 404 after; 409 while a reply streams", async () => {
    const conv = await makeConversation();
    await makeMessage({ conversationId: conv.id, role: "user", content: "hi" });
    const other = await makeConversation();
    await makeMessage({ conversationId: other.id, role: "user", content: "keep me" });
    const res = await callRoute(deleteRoute, `/api/chat/conversations/${conv.id}`, { method: "DELETE", params: { id: conv.id } });
    expect(res.status).toBe(204);
    expect(await conversationById(conv.id)).toBeUndefined();
    expect(await messagesOf(conv.id)).toHaveLength(0);
    expect(await messagesOf(other.id)).toHaveLength(1);
    expect((await callRoute(deleteRoute, `/api/chat/conversations/${conv.id}`, { method: "DELETE", params: { id: conv.id } })).status).toBe(404);

    const hold = gate();
    useRuntime(new ScriptedRuntime([{ type: "text_delta", text: "a" }, { gate: hold }, success(1)]));
    const streaming = await post(postMessageRoute, `/api/chat/conversations/${other.id}/messages`, { id: other.id }, { content: "q" });
    const done = collectSse(streaming.body!);
    await vi.waitFor(async () => expect((await messagesOf(other.id)).some((m) => m.status === "streaming")).toBe(true));
    const busy = await callRoute(deleteRoute, `/api/chat/conversations/${other.id}`, { method: "DELETE", params: { id: other.id } });
    expect(busy).toMatchObject({ status: 409, data: { error: "conversation_busy" } });
    hold.open();
    await done;
    expect(await conversationById(other.id)).toBeDefined();
  });
});

describe("POST /api/chat/conversations/:id/messages/:messageId/retry", () => {
  it("answers the failed reply's question again in its place", async () => {
    let calls = 0;
    useRuntime(new ScriptedRuntime(() => (++calls === 1 ? [{ throw: "socket hang up" }] : [{ type: "assistant", text: "42" }, success(1)])));
    const conv = await makeConversation();
    const first = await collectSse((await post(postMessageRoute, `/api/chat/conversations/${conv.id}/messages`, { id: conv.id }, { content: "Answer?" })).body!);
    const failedId = first[0].messageId;
    expect((await messagesOf(conv.id)).map((m) => [m.role, m.status])).toEqual([["user", "complete"], ["assistant", "error"]]);

    const res = await post(retryRoute, `/api/chat/conversations/${conv.id}/messages/${failedId}/retry`, { id: conv.id, messageId: failedId });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = await collectSse(res.body!);
    expect(events.map((e) => e.type)).toContain("done");
    const after = await messagesOf(conv.id);
    expect(after.map((m) => [m.role, m.content, m.status])).toEqual([["user", "Answer?", "complete"], ["assistant", "42", "complete"]]);
    expect(after.some((m) => m.id === failedId)).toBe(false);
  });

  it("refuses a reply that didn't fail, one that isn't the last, and unknown ids, writing nothing", async () => {
    useRuntime(new ScriptedRuntime([success(1)]));
    const conv = await makeConversation();
    const u1 = await makeMessage({ conversationId: conv.id, role: "user", content: "one", createdAt: T0 });
    const a1 = await makeMessage({ conversationId: conv.id, role: "assistant", content: "err", status: "error", createdAt: T0 + 1 });
    await makeMessage({ conversationId: conv.id, role: "user", content: "two", createdAt: T0 + 2 });
    const a2 = await makeMessage({ conversationId: conv.id, role: "assistant", content: "fine", status: "complete", createdAt: T0 + 3 });
    const before = (await messagesOf(conv.id)).length;
    for (const [mid, code, status] of [
      [a1.id, "message_not_retryable", 409],
      [a2.id, "message_not_retryable", 409],
      [u1.id, "message_not_retryable", 409],
      ["nope", "message_not_found", 404],
    ] as const) {
      const res = await post(retryRoute, `/api/chat/conversations/${conv.id}/messages/${mid}/retry`, { id: conv.id, messageId: mid });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ error: code });
    }
    const noConv = await post(retryRoute, `/api/chat/conversations/nope/messages/${a1.id}/retry`, { id: "nope", messageId: a1.id });
    expect(noConv.status).toBe(404);
    expect(await messagesOf(conv.id)).toHaveLength(before);
  });
});
