import { getDb } from "@/lib/db/client";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { listFiringMetrics } from "@/lib/scheduler/firing-metrics";
import { schedulerClock } from "@/lib/scheduler/loop";
import { metricsQuerySchema } from "@/lib/tasks/input";
import { assertScheduleHasHistory } from "@/lib/tasks/queries";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/schedules/:id/metrics?since=<ISO> → {metrics: FiringMetric[], summary} (default: the last 30 days). */
export const GET = route<Params>(async (req, { id }) => {
  const { since } = parseWith(metricsQuerySchema, queryOf(req));
  const db = getDb();
  await assertScheduleHasHistory(db, id);
  return json(await listFiringMetrics(db, id, since ? Date.parse(since) : undefined, schedulerClock().now()));
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
