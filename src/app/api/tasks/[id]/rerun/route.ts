import { getDb } from "@/lib/db/client";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { forceQuerySchema } from "@/lib/tasks/input";
import { rerunTask } from "@/lib/tasks/manual-run";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** POST /api/tasks/:id/rerun[?force=true] → 202 {taskId}; 404 task_not_found; 429 capacity_full {slotEtaSec}. */
export const POST = route<Params>((req, { id }) => {
  const { force } = parseWith(forceQuerySchema, queryOf(req));
  const { taskId } = rerunTask(getDb(), id, force === "true");
  return json({ taskId }, 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
