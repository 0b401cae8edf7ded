import "server-only";
import type { Db } from "../db/client";
import { env } from "../env";
import { claimTask, countQueued as countQueuedRows, countRunning as countRunningRows } from "../db/queries/slots";

/**
 * Claiming a slot (DESIGN.md invariant 3): ONE conditional UPDATE moves a task from
 * `queued` to `running` only while the number of running tasks is below the cap. Every
 * running task counts (scheduled, retry and manual); `changes = 0` means "stay queued".
 * SQLite serializes writers, so the COUNT in the WHERE and the write are one atomic step,
 * across connections and processes sharing the file. PostgreSQL (READ COMMITTED) does not:
 * there the claim first takes a transaction-level advisory lock that serializes every
 * runner's claims (queries/slots.ts claimTask, ADR 0012). Never check-then-act.
 *
 * The same statement stamps the lease: `leaseExpiresAt = now + maxRunDurationSec·1000`
 * with the task's own maxRunDurationSec (copied from its schedule at planning) or the
 * global default.
 *
 * `serializePerSchedule`: unless the schedule's overlap policy is `allow_all`, a task is not
 * started while another task of the same schedule runs (buffer_one/buffer_all queue behind it).
 *
 * A retry is not started while its parent still records agent processes (ADR 0005): a
 * reaped or recovered attempt's agents die before the next attempt resumes its session.
 *
 * The same statement checks every other cap (issue 12 item 4): the task's concurrency group
 * (`tasks.concurrency_group`, its cap in `concurrency_groups`) and its runtime's
 * `config.maxConcurrent`; and the runtime's pinning to runner labels (issue 14 item 4).
 */
export interface ClaimInput {
  taskId: string;
  runnerId: string;
  /** UTC ms. */
  now: number;
  /** maxConcurrent (settings). */
  cap: number;
  /**
   * Most tasks running on `runnerId` at once; default this process's AGENTCRON_RUNNER_CAPACITY
   * (env.ts), else only the global cap applies. Forced claims skip it like the cap.
   */
  runnerCapacity?: number;
  /** Global lease length in seconds for tasks without their own maxRunDurationSec. */
  defaultLeaseSec: number;
  /** Don't start while another task of the same schedule runs (overlap policy ≠ allow_all). */
  serializePerSchedule?: boolean;
  /** Run now `?force=true`: no cap is checked (global, runner, group, runtime) and the task is stamped `forced`. */
  force?: boolean;
  /**
   * The claiming runner's labels; default this process's AGENTCRON_RUNNER_LABELS (env.ts).
   * A task whose runtime is pinned (config.runnerLabels) is claimed only by a runner having
   * every one of those labels — forced or not: force bypasses caps, not placement.
   */
  runnerLabels?: readonly string[];
}

/**
 * Tries to claim a slot for one queued task. Returns true when this call moved it to
 * `running` (the caller must then start it), false when it stays queued (cap full,
 * notBefore in the future, already claimed, its schedule is busy, or its runtime is pinned
 * to labels this runner lacks).
 */
export async function claimSlot(db: Db, input: ClaimInput): Promise<boolean> {
  return claimTask(db, {
    taskId: input.taskId,
    runnerId: input.runnerId,
    now: input.now,
    cap: input.cap,
    runnerCap: input.runnerCapacity ?? env().AGENTCRON_RUNNER_CAPACITY ?? input.cap,
    defaultLeaseSec: input.defaultLeaseSec,
    serialize: input.serializePerSchedule ?? false,
    force: input.force ?? false,
    runnerLabels: input.runnerLabels ?? env().AGENTCRON_RUNNER_LABELS,
  });
}

/** Number of tasks holding a slot right now (status `running`, every runner). */
export async function countRunning(db: Db): Promise<number> {
  return countRunningRows(db);
}

/** Number of queued tasks. */
export async function countQueued(db: Db): Promise<number> {
  return countQueuedRows(db);
}
