import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { backfillSchema } from "@/lib/schedules/calendar-input";
import { backfillSchedule } from "@/lib/schedules/calendar-service";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/schedules/:id/backfill {from, to, maxCount?} → 202 {taskIds, existing,
 * leftOut}: the range's past occurrences queued as backfill runs (nominal plannedAt,
 * normal queue and cap, idempotent per occurrence); 400 invalid_request; 404
 * schedule_not_found; 409 schedule_not_active.
 */
export const POST = route<Params>(async (req, { id }, ctx) => {
  const input = await readJson(req, backfillSchema);
  return json(await backfillSchedule(ctx.db, id, input, ctx.clock.now()), 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
