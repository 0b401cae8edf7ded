import "server-only";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { FiringMetricDto } from "../api-types";
import type { Db } from "../db/client";
import { deleteFiringMetricsBefore, insertFiringMetric, selectFiringMetrics } from "../db/queries/firing-metrics";
import type { FiringMetricRow, TaskRow } from "../db/schema";
import type { DbOrTx } from "../events/log";
import { processSingleton } from "../process-singleton";
import type { TaskOutcome } from "../runtimes/task-executor";
import { toIso } from "../time/clock";
import { METRICS_RETENTION_MS } from "./tuning";

/** Host measurements of one firing that the DB row can't know by itself. */
export interface FiringSample {
  /** p99 event-loop delay over the run, ms. */
  eventLoopLagMs: number;
  /** Peak RSS over the run, MiB. */
  peakRssMb: number;
  chatStreamsActive: number;
  concurrentSchedules: number;
}

const MIB = 1024 * 1024;

/** A started event-loop delay histogram (resolution 10 ms) for one run. */
export function startLagMonitor(): IntervalHistogram | null {
  try {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    return h;
  } catch {
    return null;
  }
}

/** p99 of a histogram in ms (0 when it recorded nothing). */
export function lagP99Ms(h: IntervalHistogram | null): number {
  if (!h || h.count === 0) return 0;
  return Math.round((h.percentile(99) / 1e6) * 100) / 100;
}

/**
 * The process's event-loop delay p99 (ms) over roughly the last minute, for
 * GET /api/scheduler/status. One histogram per process, rotated every minute.
 */
export function processEventLoopLagMs(): number {
  const state = processSingleton("event-loop-lag", () => ({ h: startLagMonitor(), since: Date.now(), last: 0 }));
  if (Date.now() - state.since > 60_000 && state.h) {
    state.last = lagP99Ms(state.h);
    state.h.reset();
    state.since = Date.now();
  }
  return Math.max(state.last, lagP99Ms(state.h));
}

/** A sample for a task finished by someone other than its run (reaper, recovery): the process's view now. */
export function fallbackSample(concurrent: number): FiringSample {
  return {
    eventLoopLagMs: processEventLoopLagMs(),
    peakRssMb: Math.round((process.memoryUsage.rss() / MIB) * 10) / 10,
    chatStreamsActive: 0,
    concurrentSchedules: concurrent,
  };
}

/** Bytes → MiB with one decimal. */
export function toMib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

/**
 * Inserts the one `schedule_firing_metrics` row of a finished firing (issue 3 item 10),
 * inside the terminal write's transaction. Both are measured from the instant the attempt
 * became due: plannedAt (createdAt for a manual run), or its notBefore when later — so a
 * retry's lateness counts from its backoff's end, not from the original occurrence (the
 * backoff is policy, not delay; docs/design.md "Firing metrics"). Lateness = start − due;
 * slot wait = claim − due.
 */
export async function recordFiringMetric(tx: DbOrTx, task: TaskRow, outcome: TaskOutcome, now: number, sample: FiringSample): Promise<void> {
  if (!task.scheduleId) return;
  const startedAt = task.startedAt ?? task.slotClaimedAt ?? now;
  const nominal = task.plannedAt ?? task.createdAt;
  const ready = Math.max(nominal, task.notBefore ?? 0);
  await insertFiringMetric(tx, {
      scheduleId: task.scheduleId,
      taskId: task.id,
      firedAt: startedAt,
      plannedAt: task.plannedAt,
      slotClaimedAt: task.slotClaimedAt,
      completedAt: now,
      latenessMs: Math.max(0, startedAt - ready),
      slotWaitMs: Math.max(0, (task.slotClaimedAt ?? startedAt) - ready),
      durationMs: Math.max(0, now - startedAt),
      turnCount: outcome.turnCount,
      maxTurnsAtFiring: task.maxTurns,
      eventLoopLagMs: sample.eventLoopLagMs,
      peakRssMb: sample.peakRssMb,
      chatStreamsActive: sample.chatStreamsActive,
      concurrentSchedules: sample.concurrentSchedules,
      failureReason: outcome.failureReason,
  });
}

/** Deletes firing metrics older than 30 days (METRICS_RETENTION_MS). Returns the number removed. */
export async function pruneFiringMetrics(db: Db, now: number): Promise<number> {
  return deleteFiringMetricsBefore(db, now - METRICS_RETENTION_MS);
}

/** API shape of a firing metric (API.md `FiringMetric`). */
export function serializeFiringMetric(m: FiringMetricRow): FiringMetricDto {
  return {
    taskId: m.taskId,
    firedAt: toIso(m.firedAt)!,
    plannedAt: toIso(m.plannedAt),
    slotClaimedAt: toIso(m.slotClaimedAt),
    completedAt: toIso(m.completedAt)!,
    latenessMs: m.latenessMs,
    slotWaitMs: m.slotWaitMs,
    durationMs: m.durationMs,
    turnCount: m.turnCount,
    maxTurnsAtFiring: m.maxTurnsAtFiring,
    eventLoopLagMs: m.eventLoopLagMs,
    peakRssMb: m.peakRssMb,
    chatStreamsActive: m.chatStreamsActive,
    concurrentSchedules: m.concurrentSchedules,
    failureReason: m.failureReason,
  };
}

export interface FiringMetricsSummary {
  firings: number;
  failures: number;
  latenessP50Ms: number | null;
  latenessP99Ms: number | null;
  avgDurationMs: number | null;
  avgTurns: number | null;
}

function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * A schedule's firing metrics since `sinceMs` (UTC ms; default: the retention window,
 * 30 days before `now`), oldest first (at most 5,000 rows), with a summary for the
 * detail page.
 */
export async function listFiringMetrics(
  db: Db,
  scheduleId: string,
  sinceMs: number | undefined,
  now: number,
): Promise<{ metrics: FiringMetricDto[]; summary: FiringMetricsSummary }> {
  sinceMs ??= now - METRICS_RETENTION_MS;
  const rows = await selectFiringMetrics(db, scheduleId, sinceMs, 5000);
  const lateness = rows.map((r) => r.latenessMs).sort((a, b) => a - b);
  const avg = (xs: number[]) => (xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100 : null);
  return {
    metrics: rows.map(serializeFiringMetric),
    summary: {
      firings: rows.length,
      failures: rows.filter((r) => r.failureReason).length,
      latenessP50Ms: percentile(lateness, 50),
      latenessP99Ms: percentile(lateness, 99),
      avgDurationMs: avg(rows.map((r) => r.durationMs)),
      avgTurns: avg(rows.map((r) => r.turnCount)),
    },
  };
}
