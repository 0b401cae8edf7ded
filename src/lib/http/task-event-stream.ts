import "server-only";
import { TERMINAL_TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { sseResponse } from "./sse";
import { taskEventBus } from "../runtimes/task-executor";
import { selectTaskById } from "../db/queries/tasks-core";
import { getTask, TASK_EVENTS_PAGE, taskEventsAfter } from "../tasks/queries";

const TERMINAL = new Set<string>(TERMINAL_TASK_STATUSES);

export interface TaskEventStreamOptions {
  /** Replay only events with a larger id (the SSE `Last-Event-ID`, see `resumeAfterId`). */
  afterId?: number;
  /** Ends the stream when the client goes away. */
  signal?: AbortSignal;
  /** DB poll period (ms) — the fallback for events written by another process. Default 1000. */
  pollMs?: number;
  /** `: keepalive` comment period (ms). Default sseKeepaliveMs() (15 s). */
  keepaliveMs?: number;
}

/**
 * Where a reconnecting EventSource resumes: its `Last-Event-ID` header when it is a
 * positive integer, else the `after` query parameter, else 0 (from the start).
 */
export function resumeAfterId(req: Request, after?: number): number {
  const lastEventId = Number(req.headers.get("last-event-id"));
  return Number.isInteger(lastEventId) && lastEventId > 0 ? lastEventId : (after ?? 0);
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
export async function taskEventStreamResponse(db: Db, taskId: string, opts: TaskEventStreamOptions = {}): Promise<Response> {
  await getTask(db, taskId);
  const pollMs = opts.pollMs ?? 1000;
  const bus = taskEventBus();

  return sseResponse<never>(
    (_send, disconnected, frame) =>
      new Promise<void>((resolve) => {
        let lastId = opts.afterId ?? 0;
        let closed = false;
        /** Sends every stored event after `lastId`, a page at a time. */
        const sendNew = async () => {
          for (;;) {
            const rows = await taskEventsAfter(db, taskId, lastId);
            for (const row of rows) {
              frame(`id: ${row.id}\ndata: ${JSON.stringify(row)}\n\n`);
              lastId = row.id;
            }
            if (rows.length < TASK_EVENTS_PAGE) return;
          }
        };
        const pump = async () => {
          if (closed) return;
          try {
            // Status first: events flushed before a terminal write are then all in the read below.
            const status = (await selectTaskById(db, taskId))?.status;
            await sendNew();
            if (!status || TERMINAL.has(status)) {
              frame(`event: end\ndata: ${JSON.stringify({ status: status ?? "deleted" })}\n\n`);
              finish();
            }
          } catch (err) {
            console.error(`[agentcron] task ${taskId}: event stream failed`, err);
            frame(`event: error\ndata: ${JSON.stringify({ message: "The event stream failed; reload to retry." })}\n\n`);
            finish();
          }
        };
        const pumpSoon = () => void pump();
        const poll = setInterval(pumpSoon, pollMs);
        function finish() {
          if (closed) return;
          closed = true;
          clearInterval(poll);
          bus.off(`task:${taskId}`, pumpSoon);
          bus.off(`end:${taskId}`, pumpSoon);
          disconnected.removeEventListener("abort", finish);
          resolve();
        }
        bus.on(`task:${taskId}`, pumpSoon);
        bus.on(`end:${taskId}`, pumpSoon);
        disconnected.addEventListener("abort", finish, { once: true });
        frame(`retry: 2000\n\n`);
        pumpSoon();
      }),
    { keepaliveMs: opts.keepaliveMs, requestSignal: opts.signal },
  );
}

/** True when the request asks for the SSE variant. */
export function wantsEventStream(req: Request): boolean {
  return (req.headers.get("accept") ?? "").includes("text/event-stream");
}
