import { forecastQuerySchema } from "@/lib/forecast/input";
import { getForecast } from "@/lib/forecast/service";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** GET /api/forecast?hours=24 → {cap, from, hours, minutes: [{at, expectedRunning}], overloads, schedules}; 400 on hours outside 1–168. */
export const GET = route(async (req, _params, ctx) => {
  const { hours } = parseWith(forecastQuerySchema, queryOf(req));
  return json(await getForecast(ctx.db, ctx.clock.now(), hours));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
