import { json, otherMethods, route } from "@/lib/http/route";
import { listRunners } from "@/lib/runners/directory";

export const dynamic = "force-dynamic";

/** GET /api/runners → `{runners: [{id, kind, hostname, pid, capacity, running, labels, heartbeatAt, stoppedAt, alive}]}`. */
export const GET = route(async (_req, _params, ctx) => json({ runners: await listRunners(ctx.db, ctx.clock.now()) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
