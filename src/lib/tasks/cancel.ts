import "server-only";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { AppError } from "../errors";
import { pokeScheduler } from "../scheduler/control";
import { schedulerClock } from "../scheduler/loop";
import { abortRunningTask, firingSampleFor, getRunningTask } from "../scheduler/running-tasks";
import { countRunning } from "../scheduler/slot-claim";
import { prepared } from "../scheduler/statements";
import { finishRunningTask, outcomeWithoutRun } from "../scheduler/terminal-write";
import { CANCEL_WAIT_MS } from "../scheduler/tuning";
import { retryBackoffFromEnv } from "../scheduler/retries";
import { getTask } from "./queries";

function taskFinished(t: TaskRow): AppError {
  return new AppError("task_finished", `The task already finished (${t.status}); rerun it instead.`);
}

/**
 * Cancels a task (POST /api/tasks/:id/cancel) and returns it once terminal:
 * - queued → `cancelled` in one guarded UPDATE (`status='queued'`);
 * - running in this process → its run is aborted with reason "cancelled" (the runtime
 *   stops the agent and kills its process tree) and the run's own guarded terminal write
 *   records `cancelled`; if the runtime hasn't stopped within CANCEL_WAIT_MS (10 s) the
 *   row is written `cancelled` here with the same guard;
 * - running under another runner (another process sharing the DB, or a dead one) → written
 *   `cancelled` here, guarded on THAT runner id (`status='running' AND runner_id=its
 *   runner`), so nothing it wrote meanwhile is overwritten. The owning runner notices on
 *   its next heartbeat (≤ 5 s) that the task left `running`, aborts its run, and its late
 *   terminal write is refused by the guard.
 * @throws AppError 404 `task_not_found`, 409 `task_finished` when already terminal.
 */
export async function cancelTask(db: Db, taskId: string): Promise<TaskRow> {
  const clock = schedulerClock();
  let task = await getTask(db, taskId);
  if (task.status === "queued") {
    const info = prepared(
      db,
      "UPDATE tasks SET status = 'cancelled', failure_reason = 'aborted', error = 'Cancelled before it started', finished_at = ? WHERE id = ? AND status = 'queued'",
    ).run(clock.now(), taskId);
    if (info.changes === 1) return getTask(db, taskId);
    task = await getTask(db, taskId); // claimed meanwhile
  }
  if (task.status !== "running") throw taskFinished(task);

  const local = getRunningTask(taskId);
  if (local && local.runnerId === task.runnerId) {
    abortRunningTask(taskId, "cancelled");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([local.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
    clearTimeout(timer);
    task = await getTask(db, taskId);
    if (task.status !== "running") return task;
  }
  const outcome = outcomeWithoutRun(
    task,
    "cancelled",
    "aborted",
    local ? "Cancelled; the runtime did not stop within 10 s" : `Cancelled while running on runner ${task.runnerId ?? "(none)"}`,
  );
  const res = await finishRunningTask(db, {
    taskId,
    guardRunnerId: task.runnerId,
    outcome,
    now: clock.now(),
    sample: await firingSampleFor(taskId, async () => countRunning(db)),
    retryBackoffMs: retryBackoffFromEnv(),
  });
  const after = await getTask(db, taskId);
  if (!res.written && after.status !== "cancelled") throw taskFinished(after);
  pokeScheduler("task_cancelled");
  return after;
}
