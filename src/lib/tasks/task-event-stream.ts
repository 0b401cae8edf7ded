import "server-only";
import { eq } from "drizzle-orm";
import { TERMINAL_TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { taskEventBus } from "../runtimes/task-executor";
import { getTask, listTaskEvents } from "./queries";

const TERMINAL = new Set<string>(TERMINAL_TASK_STATUSES);

export interface TaskEventStreamOptions {
  /** Replay only events with a larger id (the SSE `Last-Event-ID`). */
  afterId?: number;
  /** Ends the stream when the client goes away. */
  signal?: AbortSignal;
  /** DB poll period (ms) — the fallback for events written by another process. Default 1000. */
  pollMs?: number;
  /** `: keepalive` comment period (ms). Default 15000. */
  keepaliveMs?: number;
}

/**
 * The SSE variant of GET /api/tasks/:id/events (API.md "Tasks"): replays the stored
 * events after `afterId`, then streams new ones until the task is terminal.
 *
 * Frames: `id: <eventId>` + `data: <TaskEventDto JSON>` per event; a final
 * `event: end` with `data: {"status": <task status>}` before the stream closes.
 * New rows are read from the DB (so ids are exact and never duplicated); the
 * in-process `taskEventBus()` wakes the reader within milliseconds of each executor
 * flush, and a `pollMs` timer covers writers in other processes and the terminal
 * status, which the scheduler writes after the executor's `end:<id>`.
 *
 * @throws AppError 404 `task_not_found` (before any byte is streamed).
 */
export function taskEventStreamResponse(db: Db, taskId: string, opts: TaskEventStreamOptions = {}): Response {
  getTask(db, taskId);

  const pollMs = opts.pollMs ?? 1000;
  const keepaliveMs = opts.keepaliveMs ?? 15_000;
  const encoder = new TextEncoder();
  const bus = taskEventBus();
  let cleanup = () => {};

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastId = opts.afterId ?? 0;
      let closed = false;
      const send = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      /** Sends every stored event after `lastId` (listTaskEvents pages by 5,000). */
      const sendNew = () => {
        for (;;) {
          const rows = listTaskEvents(db, taskId, lastId);
          for (const row of rows) {
            send(`id: ${row.id}\ndata: ${JSON.stringify(row)}\n\n`);
            lastId = row.id;
          }
          if (rows.length < 5000) return;
        }
      };
      const pump = () => {
        if (closed) return;
        try {
          // Status first: events flushed before a terminal write are then all in the read below.
          const task = db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, taskId)).get();
          sendNew();
          if (!task || TERMINAL.has(task.status)) {
            send(`event: end\ndata: ${JSON.stringify({ status: task?.status ?? "deleted" })}\n\n`);
            finish();
          }
        } catch (err) {
          console.error(`[agentcron] task ${taskId}: event stream failed`, err);
          send(`event: error\ndata: ${JSON.stringify({ message: "The event stream failed; reload to retry." })}\n\n`);
          finish();
        }
      };
      const onBus = () => pump();
      const poll = setInterval(pump, pollMs);
      const keepalive = setInterval(() => send(": keepalive\n\n"), keepaliveMs);
      const onAbort = () => finish();
      function finish() {
        if (closed) return;
        closed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      }
      cleanup = () => {
        clearInterval(poll);
        clearInterval(keepalive);
        bus.off(`task:${taskId}`, onBus);
        bus.off(`end:${taskId}`, onBus);
        opts.signal?.removeEventListener("abort", onAbort);
      };
      bus.on(`task:${taskId}`, onBus);
      bus.on(`end:${taskId}`, onBus);
      opts.signal?.addEventListener("abort", onAbort);
      send(`retry: 2000\n\n`);
      pump();
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}

/** True when the request asks for the SSE variant. */
export function wantsEventStream(req: Request): boolean {
  return (req.headers.get("accept") ?? "").includes("text/event-stream");
}
