import "server-only";
import { processSingleton } from "../process-singleton";
import { fallbackSample, lagP99Ms, recentRss, toMib, type FiringSample, type LagMark } from "./firing-metrics";

/**
 * The tasks this process is running: taskId → its AbortController and run state.
 * Process-wide (processSingleton): the scheduler loop (instrumentation bundle), the
 * cancel route and Run now (route bundles) must all see the same map.
 */
export interface RunningTask {
  taskId: string;
  /** The runner that claimed the task; only it may write the terminal state. */
  runnerId: string;
  controller: AbortController;
  /** Resolves once the run ended and its terminal write was attempted. */
  done: Promise<void>;
  /** Where the run's event-loop lag is counted from (the process's delay monitor); null before it starts. */
  lag: LagMark | null;
  /** Highest RSS sampled during the run, bytes. */
  peakRssBytes: number;
  /** Chat streams in flight when the slot was claimed. */
  chatStreamsAtClaim: number;
  /** Running tasks (all runners) right after the claim, this one included. */
  concurrentAtClaim: number;
  /**
   * When the lease ends on this process's monotonic clock (Clock.monotonic(), ms), or
   * undefined when unknown: the reaper judges this runner's leases by it, so a wall-clock
   * step neither kills nor spares a run and a suspend doesn't count (ADR 0006).
   */
  leaseDeadlineMono?: number;
}

const registry = () => processSingleton("running-tasks", () => new Map<string, RunningTask>());

/** Adds a started task. */
export function registerRunningTask(entry: RunningTask): void {
  registry().set(entry.taskId, entry);
}

/** Removes a task once its run ended. */
export function unregisterRunningTask(taskId: string): void {
  registry().delete(taskId);
}

/** The running entry of a task in this process, or undefined. */
export function getRunningTask(taskId: string): RunningTask | undefined {
  return registry().get(taskId);
}

/** This process's running tasks claimed by `runnerId`. */
export function runningTasksOf(runnerId: string): RunningTask[] {
  return [...registry().values()].filter((t) => t.runnerId === runnerId);
}

/**
 * Aborts a running task's run with `reason` ("cancelled", or a FailureReason such as
 * "lease_expired"); the runtime then stops the agent and kills its process tree.
 * Returns false when this process does not run the task.
 */
export function abortRunningTask(taskId: string, reason: string): boolean {
  const entry = registry().get(taskId);
  if (!entry) return false;
  if (!entry.controller.signal.aborted) entry.controller.abort(reason);
  return true;
}

/** Samples RSS into every running entry's peak (called on each heartbeat and at the end of a run). */
export function sampleRss(): number {
  const rss = recentRss(true);
  for (const entry of registry().values()) entry.peakRssBytes = Math.max(entry.peakRssBytes, rss);
  return rss;
}

/**
 * The firing sample of a task: its own run's measurements when this process runs it,
 * else the process's current view (a task finished by the reaper or recovery).
 */
export async function firingSampleFor(taskId: string, concurrentFallback: () => number | Promise<number>): Promise<FiringSample> {
  const entry = registry().get(taskId);
  // Counting running tasks costs a query: only the fallback (no local run) needs it.
  if (!entry) return fallbackSample(await concurrentFallback());
  return {
    eventLoopLagMs: lagP99Ms(entry.lag),
    peakRssMb: toMib(Math.max(entry.peakRssBytes, recentRss())),
    chatStreamsActive: entry.chatStreamsAtClaim,
    concurrentSchedules: entry.concurrentAtClaim,
  };
}
