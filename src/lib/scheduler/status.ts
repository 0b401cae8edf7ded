import "server-only";
import type { SchedulerStatusDto } from "../api-types";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { eventLoopDelaySummary } from "../metrics/event-loop-delay";
import { toIso } from "../time/clock";
import { processEventLoopLagMs } from "./firing-metrics";
import { countQueued, countRunning } from "./slot-claim";
import { prepared } from "./statements";

/**
 * GET /api/scheduler/status: cap, slot usage, queue depth, chat streams, next fire,
 * event-loop lag p99 (ms), event-loop delay p50/p99/max over the last 60 s (issue 15;
 * metrics/event-loop-delay.ts), and the newest clock step / suspend detected (ADR 0006).
 */
export async function schedulerStatus(db: Db): Promise<SchedulerStatusDto> {
  const next = prepared(db, "SELECT MIN(next_fire_at) AS t FROM schedules WHERE status = 'active'").get() as { t: number | null };
  return {
    maxConcurrent: (await getSettings(db)).maxConcurrent,
    running: await countRunning(db),
    queued: await countQueued(db),
    chatStreamsActive: activeStreamCount(),
    nextFireAt: toIso(next.t),
    eventLoopLagMs: processEventLoopLagMs(),
    eventLoopDelay: eventLoopDelaySummary(),
    lastClockEvent: await lastClockEvent(db),
  };
}

async function lastClockEvent(db: Db): Promise<SchedulerStatusDto["lastClockEvent"]> {
  const row = prepared(
    db,
    "SELECT kind, message, data, created_at AS createdAt FROM events WHERE kind IN ('clock_stepped', 'system_resumed') ORDER BY id DESC LIMIT 1",
  ).get() as { kind: "clock_stepped" | "system_resumed"; message: string; data: string | null; createdAt: number } | undefined;
  return row ? { kind: row.kind, message: row.message, data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null, createdAt: toIso(row.createdAt) } : null;
}
