import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/tasks/[id]/events/route";
import { getDb } from "@/lib/db/client";
import { taskEvents, tasks } from "@/lib/db/schema";
import { taskEventBus } from "@/lib/runtimes/task-executor";
import { taskEventStreamResponse } from "./task-event-stream";
import { callRoute } from "../../../test/http";
import { makeTask, truncateAll } from "../../../test/factories";

async function insertEvent(taskId: string, type: string, payload: Record<string, unknown>) {
  return getDb().insert(taskEvents).values({ taskId, type, payload, createdAt: Date.now() }).returning().get();
}

/** Opens the SSE variant (through the route, or `direct` with options) and returns a reader of parsed frames. */
async function openStream(taskId: string, headers: Record<string, string> = {}, direct?: { pollMs: number }) {
  const controller = new AbortController();
  const req = new Request(`http://127.0.0.1:3000/api/tasks/${taskId}/events`, {
    headers: { accept: "text/event-stream", host: "127.0.0.1:3000", ...headers },
    signal: controller.signal,
  });
  const res = direct
    ? await taskEventStreamResponse(getDb(), taskId, { signal: controller.signal, pollMs: direct.pollMs })
    : await GET(req, { params: Promise.resolve({ id: taskId }) });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const frames: { event?: string; id?: string; data?: string }[] = [];
  /** Reads until `predicate(frames)` holds or the stream ends. */
  async function until(predicate: (f: typeof frames) => boolean) {
    while (!predicate(frames)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let idx;
      while ((idx = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const frame: { event?: string; id?: string; data?: string } = {};
        for (const line of raw.split("\n")) {
          const m = /^(event|id|data): (.*)$/.exec(line);
          if (m) frame[m[1] as "event"] = m[2];
        }
        if (frame.data !== undefined) frames.push(frame);
      }
    }
    return frames;
  }
  return { res, until, frames, abort: () => controller.abort() };
}

describe("GET /api/tasks/:id/events (SSE)", () => {
  beforeEach(async () => truncateAll());

  it("replays stored events, streams new ones woken by the event bus, and ends when the task is terminal", async () => {
    const task = await makeTask({ status: "running" });
    await insertEvent(task.id, "assistant", { text: "first turn" });
    // An hour-long poll: within the test only the in-process event bus can deliver.
    const s = await openStream(task.id, {}, { pollMs: 3_600_000 });
    expect(s.res.headers.get("content-type")).toContain("text/event-stream");
    await s.until((f) => f.length >= 1);
    expect(JSON.parse(s.frames[0].data!)).toMatchObject({ taskId: task.id, type: "assistant", payload: { text: "first turn" } });

    const row = await insertEvent(task.id, "tool_call", { name: "Bash", input: { command: "ls" } });
    taskEventBus().emit(`task:${task.id}`, [row]);
    await s.until((f) => f.length >= 2);
    expect(s.frames[1].id).toBe(String(row.id));

    await insertEvent(task.id, "result", { result: { status: "success", turns: 1 } });
    getDb().update(tasks).set({ status: "completed" }).where(eq(tasks.id, task.id)).run();
    taskEventBus().emit(`end:${task.id}`);
    const frames = await s.until((f) => f.some((x) => x.event === "end"));
    expect(frames.map((f) => f.event ?? JSON.parse(f.data!).type)).toEqual(["assistant", "tool_call", "result", "end"]);
    expect(JSON.parse(frames[3].data!)).toEqual({ status: "completed" });
  });

  it("picks up events written by another process through the DB poll, resuming after Last-Event-ID", async () => {
    const task = await makeTask({ status: "running" });
    const first = await insertEvent(task.id, "assistant", { text: "one" });
    const s = await openStream(task.id, { "last-event-id": String(first.id) });
    await insertEvent(task.id, "stderr", { line: "warning: slow disk" });
    const frames = await s.until((f) => f.length >= 1);
    expect(JSON.parse(frames[0].data!)).toMatchObject({ type: "stderr", payload: { line: "warning: slow disk" } });
    s.abort();
  });

  it("ends at once for a finished task and answers 404 for an unknown one", async () => {
    const task = await makeTask({ status: "failed" });
    await insertEvent(task.id, "assistant", { text: "done" });
    const s = await openStream(task.id);
    const frames = await s.until(() => false);
    expect(frames.map((f) => f.event ?? "data")).toEqual(["data", "end"]);
    const missing = await callRoute(GET, "/api/tasks/nope/events", { params: { id: "nope" }, headers: { accept: "text/event-stream" } });
    expect(missing.status).toBe(404);
    expect(missing.data.error).toBe("task_not_found");
  });

  it("answers the stored events as JSON without the SSE accept header", async () => {
    const task = await makeTask({ status: "completed" });
    await insertEvent(task.id, "assistant", { text: "a" });
    await insertEvent(task.id, "assistant", { text: "b" });
    const res = await callRoute(GET, `/api/tasks/${task.id}/events`, { params: { id: task.id } });
    expect(res.status).toBe(200);
    expect(res.data.events.map((e: { payload: { text: string } }) => e.payload.text)).toEqual(["a", "b"]);
  });
});
