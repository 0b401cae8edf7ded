import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { scheduleCreateSchema } from "@/lib/schedules/input";
import { listSchedulesWithLastRun } from "@/lib/schedules/list";
import { createSchedule, serializeSchedule } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";

/** GET /api/schedules → {schedules}, each with its `lastRun` (docs/api.md). */
export const GET = route(async () => json({ schedules: await listSchedulesWithLastRun() }));

/** POST /api/schedules → 201 {schedule, warnings}; 400 invalid_request with fields. */
export const POST = route(async (req, _params, ctx) => {
  const input = await readJson(req, scheduleCreateSchema);
  const { schedule, warnings } = await createSchedule(input, ctx.clock.now(), ctx.db);
  return json({ schedule: serializeSchedule(schedule), warnings }, 201);
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
