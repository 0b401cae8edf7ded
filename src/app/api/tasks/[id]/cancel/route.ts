import { json, otherMethods, route } from "@/lib/http/route";
import { cancelTask } from "@/lib/tasks/cancel";
import { serializeTask } from "@/lib/tasks/serialize";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** POST /api/tasks/:id/cancel → 200 {task} once cancelled; 404 task_not_found; 409 task_finished. */
export const POST = route<Params>(async (_req, { id }, ctx) => json({ task: serializeTask(await cancelTask(ctx.db, id)) }));

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
