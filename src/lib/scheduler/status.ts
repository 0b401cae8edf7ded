import "server-only";
import type { SchedulerStatusDto } from "../api-types";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { toIso } from "../time/clock";
import { processEventLoopLagMs } from "./firing-metrics";
import { countQueued, countRunning } from "./slot-claim";
import { prepared } from "./statements";

/** GET /api/scheduler/status: cap, slot usage, queue depth, chat streams, next fire, event-loop lag p99 (ms). */
export function schedulerStatus(db: Db): SchedulerStatusDto {
  const next = prepared(db, "SELECT MIN(next_fire_at) AS t FROM schedules WHERE status = 'active'").get() as { t: number | null };
  return {
    maxConcurrent: getSettings(db).maxConcurrent,
    running: countRunning(db),
    queued: countQueued(db),
    chatStreamsActive: activeStreamCount(),
    nextFireAt: toIso(next.t),
    eventLoopLagMs: processEventLoopLagMs(),
  };
}
