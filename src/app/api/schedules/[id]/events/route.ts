import { listScheduleEvents, serializeEvent } from "@/lib/events/log";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { scheduleEventsQuerySchema } from "@/lib/tasks/input";
import { assertScheduleHasHistory } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/schedules/:id/events?limit=&before=<event id> → {events} newest first (missed counts, auto-pauses …). */
export const GET = route<Params>(async (req, { id }, ctx) => {
  const { limit, before } = parseWith(scheduleEventsQuerySchema, queryOf(req));
  const db = ctx.db;
  await assertScheduleHasHistory(db, id);
  return json({ events: (await listScheduleEvents(db, id, limit, before)).map(serializeEvent) });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
