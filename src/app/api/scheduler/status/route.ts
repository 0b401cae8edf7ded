import { json, otherMethods, route } from "@/lib/http/route";
import { schedulerStatus } from "@/lib/scheduler/status";

export const dynamic = "force-dynamic";

/** GET /api/scheduler/status → {maxConcurrent, running, queued, chatStreamsActive, nextFireAt, eventLoopLagMs, eventLoopDelay, lastClockEvent}. */
export const GET = route(async (_req, _params, ctx) => json(await schedulerStatus(ctx.db)));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
