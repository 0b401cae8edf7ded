import "server-only";
import { performance } from "node:perf_hooks";
import { LOOP_SAMPLE_INTERVAL_MS, startEventLoopDelayMonitor } from "../metrics/event-loop-delay";
import type { FiringMetricDto } from "../api-types";
import type { Db } from "../db/client";
import { deleteFiringMetricsBefore, insertFiringMetric, selectFiringMetrics } from "../db/queries/firing-metrics";
import type { FiringMetricRow, TaskRow } from "../db/schema";
import type { DbOrTx } from "../events/log";
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

/** Where a run's event-loop lag starts being counted (performance.now() ms). */
export interface LagMark {
  since: number;
}

/**
 * Starts counting a run's event-loop lag. The run reads the process's one 10 ms delay monitor
 * (metrics/event-loop-delay.ts) from this instant on: no histogram or timer of its own, so
 * the main thread's cost does not grow with the number of running agents (issue 15).
 */
export function startLagMonitor(): LagMark {
  startEventLoopDelayMonitor();
  return { since: performance.now() };
}

/**
 * p99 event-loop lag of a run so far, ms, with the 10 ms sampling interval included (the
 * meaning `eventLoopLagMs` has always had: monitorEventLoopDelay's values); 0 when no tick
 * was recorded (a run shorter than one tick, or no mark).
 */
export function lagP99Ms(mark: LagMark | null): number {
  if (!mark) return 0;
  const p99 = startEventLoopDelayMonitor().percentileSince(99, mark.since);
  return p99 == null ? 0 : Math.round((p99 + LOOP_SAMPLE_INTERVAL_MS) * 100) / 100;
}

/** The process's event-loop lag p99 over the last minute (GET /api/scheduler/status `eventLoopLagMs`), ms, interval included. */
export function processEventLoopLagMs(): number {
  return lagP99Ms({ since: performance.now() - 60_000 });
}

/** How long a read of this process's RSS is reused by {@link recentRss}, ms. */
const RSS_REUSE_MS = 250;
let lastRss = { bytes: 0, at: Number.NEGATIVE_INFINITY };

/**
 * This process's RSS in bytes, read at most every RSS_REUSE_MS (performance.now()) unless
 * `fresh`: a run's start and end record it, and while agents were being started a read took
 * ~1.5 ms (the kernel's /proc read waits for the memory-map lock a fork holds; --cpu-prof of
 * Run now, 2026-12-03), once per launch on the main thread. The heartbeat reads afresh.
 */
export function recentRss(fresh = false): number {
  const now = performance.now();
  if (fresh || now - lastRss.at >= RSS_REUSE_MS) lastRss = { bytes: process.memoryUsage.rss(), at: now };
  return lastRss.bytes;
}

/** A sample for a task finished by someone other than its run (reaper, recovery): the process's view now. */
export function fallbackSample(concurrent: number): FiringSample {
  return {
    eventLoopLagMs: processEventLoopLagMs(),
    peakRssMb: Math.round((recentRss() / MIB) * 10) / 10,
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
