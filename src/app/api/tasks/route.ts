import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { taskListQuerySchema } from "@/lib/tasks/input";
import { listTasks } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";

/** GET /api/tasks?status=&scheduleId=&limit=&before= → {tasks, nextCursor}, newest first. */
export const GET = route(async (req, _params, ctx) => json(await listTasks(ctx.db, parseWith(taskListQuerySchema, queryOf(req)))));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
