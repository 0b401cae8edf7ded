import "server-only";
import type { SchedulerStatusDto } from "../api-types";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { toIso } from "../time/clock";
import { processEventLoopLagMs } from "./firing-metrics";
import { countQueued, countRunning } from "./slot-claim";
import { selectEarliestActiveFire, selectLastClockEvent } from "../db/queries/scheduler-status";

/**
 * GET /api/scheduler/status: cap, slot usage, queue depth, chat streams, next fire,
 * event-loop lag p99 (ms), and the newest clock step / suspend detected (ADR 0006).
 */
export async function schedulerStatus(db: Db): Promise<SchedulerStatusDto> {
  const next = await selectEarliestActiveFire(db);
  return {
    maxConcurrent: (await getSettings(db)).maxConcurrent,
    running: await countRunning(db),
    queued: await countQueued(db),
    chatStreamsActive: activeStreamCount(),
    nextFireAt: toIso(next),
    eventLoopLagMs: processEventLoopLagMs(),
    lastClockEvent: await lastClockEvent(db),
  };
}

async function lastClockEvent(db: Db): Promise<SchedulerStatusDto["lastClockEvent"]> {
  const row = await selectLastClockEvent(db);
  return row ? { kind: row.kind as "clock_stepped" | "system_resumed", message: row.message, data: row.data ?? null, createdAt: toIso(row.createdAt) } : null;
}
