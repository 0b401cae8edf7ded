import "server-only";
import type { Db } from "../db/client";
import { firingSampleFor } from "./running-tasks";
import { countRunning } from "./slot-claim";
import { prepared, selectTaskById } from "./statements";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";
import { RUNNER_STALE_MS } from "./tuning";

/**
 * Recovery (DESIGN.md invariant 9, issue 3 item 6): tasks left `running` by a dead
 * runner — stopped, unknown, or whose heartbeat is older than RUNNER_STALE_MS — are
 * failed with `runtime_recovery` (guarded on that runner's id, so a runner that comes
 * back can't overwrite it) and retried while attempts remain. This runner's own tasks
 * are never recovered here (the reaper handles them). Runs at boot and on every pass and
 * heartbeat. One `runtime_recovery` event per recovered task.
 * @param now UTC ms. Returns the number of tasks recovered.
 */
export function recoverOrphanedTasks(db: Db, runnerId: string, now: number, retryBackoffMs: readonly number[]): number {
  const orphans = prepared(
    db,
    `SELECT t.id AS id, t.runner_id AS runnerId FROM tasks t LEFT JOIN runners r ON r.id = t.runner_id
     WHERE t.status = 'running' AND (t.runner_id IS NULL OR (t.runner_id != @me AND
       (r.id IS NULL OR r.stopped_at IS NOT NULL OR r.heartbeat_at < @staleBefore)))`,
  ).all({ me: runnerId, staleBefore: now - RUNNER_STALE_MS }) as { id: string; runnerId: string | null }[];
  if (!orphans.length) return 0;

  let recovered = 0;
  for (const orphan of orphans) {
    try {
      const task = selectTaskById(db, orphan.id);
      if (!task) continue;
      const message = `Recovered: runner ${orphan.runnerId ?? "(none)"} stopped while the task was running`;
      const outcome = outcomeWithoutRun(task, "failed", "runtime_recovery", message);
      const res = finishRunningTask(db, {
        taskId: task.id,
        guardRunnerId: orphan.runnerId,
        outcome,
        now,
        sample: firingSampleFor(task.id, () => countRunning(db)),
        retryBackoffMs,
        event: (retryTaskId) => ({ kind: "runtime_recovery", scheduleId: task.scheduleId, taskId: task.id, message, data: { runnerId: orphan.runnerId, retryTaskId } }),
      });
      if (res.written) recovered += 1;
    } catch (err) {
      console.error(`[agentcron] task ${orphan.id}: recovery failed`, err);
    }
  }
  return recovered;
}
