import "server-only";
import { and, asc, eq, gt } from "drizzle-orm";
import { TERMINAL_TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { taskEvents, tasks, type TaskEventRow } from "../db/schema";
import { notFound } from "../errors";
import { taskEventBus } from "../runtimes/task-executor";
import { toIso } from "../time/clock";

/** API shape of a task event (TaskEventDto). */
export function serializeTaskEvent(e: TaskEventRow) {
  return { id: e.id, taskId: e.taskId, type: e.type, payload: e.payload, createdAt: toIso(e.createdAt)! };
}

/** A task's events with id > `afterId`, oldest first, at most `limit`. */
export function eventsAfter(db: Db, taskId: string, afterId: number, limit: number): TaskEventRow[] {
  return db
    .select()
    .from(taskEvents)
    .where(and(eq(taskEvents.taskId, taskId), gt(taskEvents.id, afterId)))
    .orderBy(asc(taskEvents.id))
    .limit(limit)
    .all();
}

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
  const exists = db.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, taskId)).get();
  if (!exists) throw notFound("task", taskId);

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
      const pump = () => {
        if (closed) return;
        try {
          for (;;) {
            const rows = eventsAfter(db, taskId, lastId, 500);
            for (const row of rows) {
              send(`id: ${row.id}\ndata: ${JSON.stringify(serializeTaskEvent(row))}\n\n`);
              lastId = row.id;
            }
            if (rows.length < 500) break;
          }
          const task = db.select({ status: tasks.status }).from(tasks).where(eq(tasks.id, taskId)).get();
          if (!task || TERMINAL.has(task.status)) {
            // One more read: events flushed just before the terminal write.
            for (const row of eventsAfter(db, taskId, lastId, 10_000)) {
              send(`id: ${row.id}\ndata: ${JSON.stringify(serializeTaskEvent(row))}\n\n`);
              lastId = row.id;
            }
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
