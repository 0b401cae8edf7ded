import { json, otherMethods, parseWith, queryOf, readJson, route } from "@/lib/http/route";
import { manualRunQuerySchema } from "@/lib/tasks/input";
import { runScheduleNow } from "@/lib/tasks/manual-run";
import { runNowBodySchema } from "@/lib/triggers/input";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/schedules/:id/execute[?force=true|?queue=true][&whilePaused=true] ("Run now"),
 * optional JSON body {prompt} (this run's prompt instead of the schedule's; 400 on unknown variables) →
 * 202 {taskId, forced} (+ `queued: true` when `queue` left it waiting for a slot);
 * 429 capacity_full {slotEtaSec}; 409 schedule_not_active (paused without whilePaused,
 * completed, expired); 404 schedule_not_found; 400 for force and queue together.
 */
export const POST = route<Params>(async (req, { id }, ctx) => {
  const { force, queue, whilePaused } = parseWith(manualRunQuerySchema, queryOf(req));
  const body = await readJson(req, runNowBodySchema, { optional: true });
  return json(await runScheduleNow(ctx.db, id, force === "true", { queue: queue === "true", whilePaused: whilePaused === "true", prompt: body?.prompt }), 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
