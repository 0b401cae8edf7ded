import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { listFiringMetrics } from "@/lib/scheduler/firing-metrics";
import { metricsQuerySchema } from "@/lib/tasks/input";
import { assertScheduleHasHistory } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/schedules/:id/metrics?since=<ISO> → {metrics: FiringMetric[], summary} (default: the last 30 days). */
export const GET = route<Params>(async (req, { id }, ctx) => {
  const { since } = parseWith(metricsQuerySchema, queryOf(req));
  const { db } = ctx;
  await assertScheduleHasHistory(db, id);
  return json(await listFiringMetrics(db, id, since ? Date.parse(since) : undefined, ctx.clock.now()));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
