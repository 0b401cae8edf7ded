import { getDb } from "@/lib/db/client";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { forceQuerySchema } from "@/lib/tasks/input";
import { runScheduleNow } from "@/lib/tasks/manual-run";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/schedules/:id/execute[?force=true] ("Run now") → 202 {taskId, forced};
 * 429 capacity_full {slotEtaSec}; 409 schedule_not_active; 404 schedule_not_found.
 */
export const POST = route<Params>((req, { id }) => {
  const { force } = parseWith(forceQuerySchema, queryOf(req));
  return json(runScheduleNow(getDb(), id, force === "true"), 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
