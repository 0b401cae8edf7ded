import { getDb } from "@/lib/db/client";
import { json, parseWith, queryOf, route } from "@/lib/http/route";
import { runNowQuerySchema } from "@/lib/tasks/input";
import { runScheduleNow } from "@/lib/tasks/manual-run";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/schedules/:id/execute[?force=true][&whilePaused=true] ("Run now") → 202 {taskId, forced};
 * 429 capacity_full {slotEtaSec}; 409 schedule_not_active (paused without whilePaused,
 * completed, expired); 404 schedule_not_found.
 */
export const POST = route<Params>((req, { id }) => {
  const { force, whilePaused } = parseWith(runNowQuerySchema, queryOf(req));
  return json(runScheduleNow(getDb(), id, force === "true", { whilePaused: whilePaused === "true" }), 202);
});
