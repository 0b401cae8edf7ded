import "server-only";
import type { OverlapPolicy } from "../db/constants";

/** A schedule's unfinished tasks when a new occurrence is planned. */
export interface ActiveTasks {
  queued: string[];
  running: string[];
}

export interface OverlapDecision {
  /** Queue the new occurrence's task (false → insert it as `skipped` / `overlap`). */
  queue: boolean;
  /** Queued tasks to skip (`cancelled_by_overlap`) before queueing the new one. */
  skipQueued: string[];
  /** Running tasks to cancel before queueing the new one. */
  cancelRunning: string[];
}

/**
 * What a new occurrence does while the schedule's previous task is queued or running
 * (DESIGN.md "Policies" → overlapPolicy):
 * - `skip` (default): the new occurrence is skipped while anything is queued or running;
 * - `buffer_one`: queued behind the running task, but at most one waits;
 * - `buffer_all`: every occurrence queues and they run one after another;
 * - `cancel_other`: the older tasks are cancelled, the new one queues;
 * - `allow_all`: queued and may run concurrently (only the global cap limits it).
 * Whether a queued task may start beside a running one of its schedule is the claim's
 * job (slot-claim.ts `serializePerSchedule`, everything but allow_all).
 */
export function decideOverlap(policy: OverlapPolicy, active: ActiveTasks): OverlapDecision {
  const none: OverlapDecision = { queue: true, skipQueued: [], cancelRunning: [] };
  const busy = active.queued.length + active.running.length > 0;
  switch (policy) {
    case "skip":
      return busy ? { ...none, queue: false } : none;
    case "buffer_one":
      return active.queued.length > 0 ? { ...none, queue: false } : none;
    case "cancel_other":
      return { queue: true, skipQueued: active.queued, cancelRunning: active.running };
    case "buffer_all":
    case "allow_all":
      return none;
  }
}
