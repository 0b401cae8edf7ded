import { json, otherMethods, route } from "@/lib/http/route";
import { listConcurrencyGroups } from "@/lib/concurrency-groups/service";

export const dynamic = "force-dynamic";

/** GET /api/concurrency-groups → {groups: [{name, maxConcurrent, running, queued, schedules, updatedAt}]}. */
export const GET = route(async (_req, _params, ctx) => json({ groups: await listConcurrencyGroups(ctx.db) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
