import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { manualRunQuerySchema } from "@/lib/tasks/input";
import { rerunTask } from "@/lib/tasks/manual-run";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** POST /api/tasks/:id/rerun[?force=true|?queue=true] → 202 {taskId} (+ `queued: true`); 404 task_not_found; 429 capacity_full {slotEtaSec}. */
export const POST = route<Params>(async (req, { id }, ctx) => {
  const { force, queue } = parseWith(manualRunQuerySchema, queryOf(req));
  const { taskId, queued } = await rerunTask(ctx.db, id, force === "true", queue === "true");
  return json({ taskId, ...(queued ? { queued } : {}) }, 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
