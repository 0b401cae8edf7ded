import { getDb } from "@/lib/db/client";
import { json, otherMethods, route } from "@/lib/http/route";
import { listRunners } from "@/lib/runners/directory";
import { schedulerClock } from "@/lib/scheduler/loop";

export const dynamic = "force-dynamic";

/** GET /api/runners → `{runners: [{id, kind, hostname, pid, capacity, running, labels, heartbeatAt, stoppedAt, alive}]}`. */
export const GET = route(async () => json({ runners: await listRunners(getDb(), schedulerClock().now()) }));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
