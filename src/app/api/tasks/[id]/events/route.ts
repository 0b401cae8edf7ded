import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { tasks } from "@/lib/db/schema";
import { notFound } from "@/lib/errors";
import { json, route } from "@/lib/http/route";
import { eventsAfter, serializeTaskEvent, taskEventStreamResponse, wantsEventStream } from "@/lib/tasks/task-event-stream";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * GET /api/tasks/:id/events → {events}; with `Accept: text/event-stream` a live SSE
 * stream (stored events replayed after `Last-Event-ID`, then new ones until the task ends).
 */
export const GET = route<Params>((req, { id }) => {
  const db = getDb();
  if (wantsEventStream(req)) {
    const afterId = Number(req.headers.get("last-event-id") ?? new URL(req.url).searchParams.get("after") ?? 0) || 0;
    return taskEventStreamResponse(db, id, { afterId, signal: req.signal });
  }
  if (!db.select({ id: tasks.id }).from(tasks).where(eq(tasks.id, id)).get()) throw notFound("task", id);
  return json({ events: eventsAfter(db, id, 0, 10_000).map(serializeTaskEvent) });
});
