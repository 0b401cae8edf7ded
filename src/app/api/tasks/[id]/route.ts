import { json, otherMethods, route } from "@/lib/http/route";
import { getTaskDetail } from "@/lib/tasks/detail";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/tasks/:id → {task, prompt, queue}; 404 task_not_found. */
export const GET = route<Params>(async (_req, { id }, ctx) => json(await getTaskDetail(ctx.db, id, ctx.clock.now())));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
