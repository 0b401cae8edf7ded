/**
 * The chat route against real runtimes: the openai-compatible runtime (AI SDK) with the
 * scripted chat-completions server, and the command runtime with the scripted CLI agent.
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as postMessageRoute } from "@/app/api/chat/conversations/[id]/messages/route";
import { activeStreamCount } from "@/lib/chat/active-streams";
import type { ScriptedServer } from "./fixtures/messages-server.mjs";
import { startOpenAiServer } from "./fixtures/openai-server.mjs";
import { makeConversation, makeRuntime, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";
import { collectSse, readSse } from "./support/sse";

const AGENT = path.resolve(__dirname, "fixtures/scripted-agent.mjs");
let server: ScriptedServer;

function postMessage(conversationId: string, content: string, signal?: AbortSignal): Promise<Response> {
  const req = new Request(`http://127.0.0.1:3000/api/chat/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: { host: "127.0.0.1:3000", "content-type": "application/json" },
    body: JSON.stringify({ content }),
    signal,
  });
  return postMessageRoute(req, { params: Promise.resolve({ id: conversationId }) });
}
const assistantOf = async (conversationId: string) =>
  (await rowsOf("chatMessages")).filter((m) => m.conversationId === conversationId && m.role === "assistant");

async function openAiRuntime(scenario: Record<string, unknown>, isDefault = false) {
  return makeRuntime({ kind: "openai-compatible", isDefault, config: { baseUrl: `${server.urlFor(scenario)}/v1`, model: "scripted" } });
}

beforeAll(async () => {
  server = await startOpenAiServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => truncateAll());
afterEach(() => expect(activeStreamCount()).toBe(0));

describe("chat over the openai-compatible runtime", () => {
  it("streams the model's tokens as deltas from the default runtime", async () => {
    await openAiRuntime({ chunks: 4 }, true);
    const conv = await makeConversation({ runtimeId: null });
    const events = await collectSse((await postMessage(conv.id, "hello model")).body!);
    const deltas = events.filter((e) => e.type === "delta").map((e) => e.text);
    // The scripted server sends "done: hello model" in 4 content chunks; each is a delta.
    expect(deltas).toEqual(["done:", " hell", "o mod", "el"]);
    expect(events.at(-1)).toEqual({ type: "done", messageId: events[0].messageId });
    expect((await assistantOf(conv.id))[0]).toMatchObject({ status: "complete", content: "done: hello model" });
  });

  it("replays the conversation as a transcript, since the runtime has no sessions", async () => {
    const rt = await openAiRuntime({});
    const conv = await makeConversation({ runtimeId: rt.id });
    await collectSse((await postMessage(conv.id, "first question")).body!);
    await collectSse((await postMessage(conv.id, "second question")).body!);
    const lastRequest = server.requests.at(-1)!;
    const userText = lastRequest.body.messages.filter((m: { role: string }) => m.role === "user").at(-1).content;
    expect(JSON.stringify(userText)).toContain("User: first question\\n\\nAssistant: done: first question");
    expect(JSON.stringify(userText)).toContain("User: second question");
  });

  it("aborts the model request when the client disconnects and keeps the tokens received", async () => {
    const rt = await openAiRuntime({ chunks: 20, chunkDelayMs: 150 });
    const conv = await makeConversation({ runtimeId: rt.id });
    const client = new AbortController();
    const stream = readSse((await postMessage(conv.id, "a long answer please", client.signal)).body!);
    await stream.next(); // status
    const first = (await stream.next()).value as { data: { type: string; text: string } };
    expect(first.data.type).toBe("delta");
    client.abort();
    await vi.waitFor(async () => expect((await assistantOf(conv.id))[0]).toMatchObject({ status: "aborted" }), { timeout: 10_000 });
    const saved = (await assistantOf(conv.id))[0].content;
    expect(saved.startsWith(first.data.text)).toBe(true);
    expect(saved.length).toBeLessThan("done: a long answer please".length);
  });

  it("finalizes as error when the model API refuses (HTTP 429)", async () => {
    const rt = await openAiRuntime({ status: 429 });
    const conv = await makeConversation({ runtimeId: rt.id });
    const events = await collectSse((await postMessage(conv.id, "hi")).body!);
    expect(events.map((e) => e.type)).toEqual(["status", "error"]);
    expect(events[1].message).toContain("429");
    expect((await assistantOf(conv.id))[0]).toMatchObject({ status: "error", content: expect.stringContaining("(no reply:") });
  });
});

describe("chat over the command runtime", () => {
  it("resumes the agent's session on the next message", async () => {
    const rt = await makeRuntime({ config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", "--turns", "2"], outputFormat: "claude-stream-json" } });
    const conv = await makeConversation({ runtimeId: rt.id });
    const first = await collectSse((await postMessage(conv.id, "first")).body!);
    expect(first.filter((e) => e.type === "delta").map((e) => e.text)).toEqual(["step 1", "\n\ndone: first"]);
    await collectSse((await postMessage(conv.id, "second")).body!);
    const [a, b] = await assistantOf(conv.id);
    expect(a.content).toBe("step 1\n\ndone: first");
    expect(b.content).toMatch(/^step 1\n\nresumed [0-9a-f-]{36}: done: second$/);
  });
});
