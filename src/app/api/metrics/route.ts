import { otherMethods, route } from "@/lib/http/route";
import { renderPrometheusMetrics } from "@/lib/metrics/prometheus";

export const dynamic = "force-dynamic";

/** GET /api/metrics → Prometheus text format. */
export const GET = route(async (_req, _params, ctx) => {
  const [body, contentType] = await renderPrometheusMetrics(ctx.db);
  return new Response(body, { headers: { "content-type": contentType } });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
