import "server-only";
import type { Db } from "../db/client";
import { selectRunningLeasesOfRunner } from "../db/queries/task-runs";
import { selectTaskById } from "../db/queries/tasks-core";
import { abortRunningTask, firingSampleFor, getRunningTask } from "./running-tasks";
import { countRunning } from "./slot-claim";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";

/**
 * The reaper (DESIGN.md invariant 4): fails this runner's running tasks whose lease
 * passed with `failed / lease_expired` (guarded terminal write, retry if attempts
 * remain, plus a `lease_expired` event), then aborts their runs with reason
 * "lease_expired" so the runtime kills the agent's process tree. The slot is free as
 * soon as the write commits; the run's late callback is refused by the guard.
 *
 * Expiry is judged on the monotonic clock (ADR 0006) for the runs this process holds
 * (`leaseDeadlineMono`), so a wall-clock step either way or a suspend never reaps a run
 * early nor lets a hung one keep its slot; a row without it falls back to the wall clock.
 * @param now UTC ms. @param monoNow the loop clock's monotonic reading (ms); omitted = wall only.
 * Returns the reaped task ids.
 */
export async function reapExpiredLeases(db: Db, runnerId: string, now: number, retryBackoffMs: readonly number[], monoNow?: number): Promise<string[]> {
  const expired = (await selectRunningLeasesOfRunner(db, runnerId)).filter((lease) => leaseExpired(lease, now, monoNow));
  const reaped: string[] = [];
  for (const { id } of expired) {
    const task = await selectTaskById(db, id);
    // Finished (or taken over) since the scan: nothing to reap; the guarded write would refuse it anyway.
    if (!task || task.status !== "running" || task.runnerId !== runnerId) continue;
    try {
      const leaseSec = task.maxRunDurationSec ?? Math.round(((task.leaseExpiresAt ?? now) - (task.slotClaimedAt ?? now)) / 1000);
      const outcome = outcomeWithoutRun(task, "failed", "lease_expired", `Lease expired: the task ran longer than its ${leaseSec} s budget (maxRunDurationSec)`);
      const res = await finishRunningTask(db, {
        taskId: task.id,
        guardRunnerId: runnerId,
        outcome,
        now,
        sample: await firingSampleFor(task.id, async () => countRunning(db)),
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

/** A lease has passed: on the monotonic clock when this process holds the run, else by the row's wall-clock leaseExpiresAt. */
function leaseExpired(task: { id: string; leaseExpiresAt: number | null }, now: number, monoNow: number | undefined): boolean {
  const deadline = getRunningTask(task.id)?.leaseDeadlineMono;
  if (deadline != null && monoNow != null) return monoNow >= deadline;
  return task.leaseExpiresAt != null && task.leaseExpiresAt <= now;
}
