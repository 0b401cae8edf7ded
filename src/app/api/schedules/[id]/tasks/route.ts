import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { taskPageQuerySchema } from "@/lib/tasks/input";
import { assertScheduleHasHistory, listTasks } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/schedules/:id/tasks?limit=&before= → {tasks, nextCursor} newest first, skipped occurrences included. */
export const GET = route<Params>(async (req, { id }, ctx) => {
  const page = parseWith(taskPageQuerySchema, queryOf(req));
  const db = ctx.db;
  await assertScheduleHasHistory(db, id);
  return json(await listTasks(db, { ...page, scheduleId: id }));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
