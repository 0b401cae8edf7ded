import { z } from "zod";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { turnCalibration } from "@/lib/schedules/calibration";

export const dynamic = "force-dynamic";

const querySchema = z.object({
  runtimeId: z.string().max(100).optional(),
  excludeScheduleId: z.string().max(100).optional(),
});

/**
 * GET /api/schedules/calibration?runtimeId=&excludeScheduleId= → {runtimeId, medianAvgTurns, sampleSize}.
 * An empty or missing runtimeId means the default runtime.
 */
export const GET = route(async (req, _params, ctx) => {
  const q = parseWith(querySchema, queryOf(req));
  return json(await turnCalibration(ctx.db, q.runtimeId || null, q.excludeScheduleId || undefined));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
