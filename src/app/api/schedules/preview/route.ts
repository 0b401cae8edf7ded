import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { schedulePreviewSchema } from "@/lib/schedules/input";
import { previewSchedule } from "@/lib/schedules/service";

export const dynamic = "force-dynamic";

/** GET /api/schedules/preview?cronExpression=|schedule=&timezone=&count=5 → {cronExpression, description, next}. */
export const GET = route((req, _params, ctx) => {
  const query = parseWith(schedulePreviewSchema, queryOf(req));
  return json(previewSchedule(query, ctx.clock.now()));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
