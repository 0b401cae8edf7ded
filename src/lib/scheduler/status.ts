import "server-only";
import type { SchedulerStatusDto } from "../api-types";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { eventLoopDelaySummary } from "../metrics/event-loop-delay";
import { executorHostQuietCollections, executorStatus } from "../runtimes/executor-host/host";
import { env } from "../env";
import { quietCollectionStats, summarizeQuietCollections } from "./quiet-collection";
import { toIso } from "../time/clock";
import { processEventLoopLagMs } from "./firing-metrics";
import { countQueued, countRunning } from "./slot-claim";
import { selectEarliestActiveFire, selectLastClockEvent } from "../db/queries/scheduler-status";

/**
 * GET /api/scheduler/status: cap, slot usage, queue depth, chat streams, next fire,
 * event-loop lag p99 (ms), event-loop delay p50/p99/max over the last 60 s (issue 15;
 * metrics/event-loop-delay.ts), the newest clock step / suspend detected (ADR 0006), and where
 * agent runs execute (ADR 0022), and the collections run in quiet windows (ADR 0035).
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
    eventLoopDelay: eventLoopDelaySummary(),
    lastClockEvent: await lastClockEvent(db),
    executor: executorStatus(),
    quietCollections: quietCollectionsStatus(),
  };
}

/** The main thread's and the executor host's quiet-window collections (ADR 0035). */
function quietCollectionsStatus(): SchedulerStatusDto["quietCollections"] {
  const host = executorHostQuietCollections();
  return {
    enabled: env().AGENTCRON_QUIET_COLLECTION === "on",
    main: summarizeQuietCollections(quietCollectionStats()),
    host: host ? summarizeQuietCollections(host) : null,
  };
}

async function lastClockEvent(db: Db): Promise<SchedulerStatusDto["lastClockEvent"]> {
  const row = await selectLastClockEvent(db);
  return row ? { kind: row.kind as "clock_stepped" | "system_resumed", message: row.message, data: row.data ?? null, createdAt: toIso(row.createdAt) } : null;
}
