import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { taskEventsQuerySchema } from "@/lib/tasks/input";
import { listTaskEvents } from "@/lib/tasks/queries";
import { resumeAfterId, taskEventStreamResponse, wantsEventStream } from "@/lib/http/task-event-stream";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * GET /api/tasks/:id/events[?after=<event id>] → {events} in order; 404 task_not_found.
 * With `Accept: text/event-stream`: a live SSE stream — stored events after
 * `Last-Event-ID` (or `after`) replayed, then new ones until the task ends.
 */
export const GET = route<Params>(async (req, { id }, ctx) => {
  const { after } = parseWith(taskEventsQuerySchema, queryOf(req));
  if (wantsEventStream(req)) {
    return taskEventStreamResponse(ctx.db, id, { afterId: resumeAfterId(req, after), signal: req.signal });
  }
  return json({ events: await listTaskEvents(ctx.db, id, after) });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
