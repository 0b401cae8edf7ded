import "server-only";
import { and, eq, lte } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { abortRunningTask, firingSampleFor } from "./running-tasks";
import { countRunning } from "./slot-claim";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";

/**
 * The reaper (DESIGN.md invariant 4): fails this runner's running tasks whose lease
 * passed with `failed / lease_expired` (guarded terminal write, retry if attempts
 * remain, plus a `lease_expired` event), then aborts their runs with reason
 * "lease_expired" so the runtime kills the agent's process tree. The slot is free as
 * soon as the write commits; the run's late callback is refused by the guard.
 * @param now UTC ms. Returns the reaped task ids.
 */
export function reapExpiredLeases(db: Db, runnerId: string, now: number, retryBackoffMs: readonly number[]): string[] {
  const expired = db
    .select()
    .from(tasks)
    .where(and(eq(tasks.status, "running"), eq(tasks.runnerId, runnerId), lte(tasks.leaseExpiresAt, now)))
    .all();
  const reaped: string[] = [];
  for (const task of expired) {
    try {
      const leaseSec = Math.round(((task.leaseExpiresAt ?? now) - (task.slotClaimedAt ?? now)) / 1000);
      const outcome = outcomeWithoutRun(task, "failed", "lease_expired", `Lease expired: the task ran longer than its ${leaseSec} s budget (maxRunDurationSec)`);
      const res = finishRunningTask(db, {
        taskId: task.id,
        guardRunnerId: runnerId,
        outcome,
        now,
        sample: firingSampleFor(task.id, () => countRunning(db)),
        retryBackoffMs,
        event: (retryTaskId) => ({ kind: "lease_expired", scheduleId: task.scheduleId, taskId: task.id, message: outcome.error!, data: { leaseSec, retryTaskId } }),
      });
      if (res.written) reaped.push(task.id);
    } catch (err) {
      console.error(`[agentcron] task ${task.id}: reaping failed`, err);
    }
    abortRunningTask(task.id, "lease_expired");
  }
  return reaped;
}
