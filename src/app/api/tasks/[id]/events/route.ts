import { getDb } from "@/lib/db/client";
import { json, parseWith, queryOf, route } from "@/lib/http/route";
import { taskEventsQuerySchema } from "@/lib/tasks/input";
import { listTaskEvents } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/tasks/:id/events[?after=<event id>] → {events} in order; 404 task_not_found. */
export const GET = route<Params>((req, { id }) => {
  const { after } = parseWith(taskEventsQuerySchema, queryOf(req));
  return json({ events: listTaskEvents(getDb(), id, after) });
});
