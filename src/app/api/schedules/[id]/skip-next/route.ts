import { json, otherMethods, route } from "@/lib/http/route";
import { skipNextOccurrence } from "@/lib/schedules/calendar-service";
import { serializeSchedule } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/schedules/:id/skip-next → 200 {schedule}: the next occurrence becomes a
 * skipped task (`skipped_by_user`) and nextFireAt moves on; 409 schedule_not_active;
 * 404 schedule_not_found.
 */
export const POST = route<Params>(async (_req, { id }, ctx) => json({ schedule: serializeSchedule(await skipNextOccurrence(ctx.db, id, ctx.clock.now())) }));

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
