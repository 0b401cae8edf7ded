import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { schedulePatchSchema } from "@/lib/schedules/input";
import { deleteSchedule, getSchedule, serializeSchedule, updateSchedule } from "@/lib/schedules/service";
import { withUsage } from "@/lib/budgets/usage";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/schedules/:id → {schedule}; 404 schedule_not_found. */
export const GET = route<Params>(async (_req, { id }, ctx) => json({ schedule: await withUsage(serializeSchedule(await getSchedule(id, ctx.db)), ctx.clock.now()) }));

/** PATCH /api/schedules/:id → 200 {schedule, warnings}. */
export const PATCH = route<Params>(async (req, { id }, ctx) => {
  const patch = await readJson(req, schedulePatchSchema);
  const { schedule, warnings } = await updateSchedule(id, patch, ctx.clock.now(), ctx.db);
  return json({ schedule: await withUsage(serializeSchedule(schedule), ctx.clock.now()), warnings });
});

/** DELETE /api/schedules/:id → 204; its tasks stay in history. */
export const DELETE = route<Params>(async (_req, { id }, ctx) => {
  await deleteSchedule(id, ctx.clock.now(), ctx.db);
  return new Response(null, { status: 204 });
});

export const { POST, PUT } = otherMethods({ GET, PATCH, DELETE });
