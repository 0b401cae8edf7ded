import "server-only";
import type { Settings } from "../config/settings";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { lockCap, selectDrainCandidates, skipQueuedTask } from "../db/queries/slots";
import { isManualRooted } from "../tasks/run-state";
import { chatPressureHold } from "./chat-pressure";
import { claimSlot, countRunning } from "./slot-claim";
import { DRAIN_BATCH } from "./tuning";
import { withTransaction } from "../db/client";
import { BudgetGate, skipOverBudget } from "../budgets/fire-gate";

/** A task this runner just moved to `running`; the caller must start it. */
export interface ClaimedTask {
  task: TaskRow;
  /** Running tasks (all runners) right after the claim, this one included. */
  concurrentAtClaim: number;
  chatStreamsAtClaim: number;
}

export interface DrainInput {
  db: Db;
  /** UTC ms. */
  now: number;
  runnerId: string;
  settings: Settings;
  /** Chat streams in flight (active-streams.ts). */
  chatStreams: number;
  /**
   * Read again right before claiming, so `slotClaimedAt` and the lease start when the claim
   * really happens — not at the pass's start, which planning and (PostgreSQL) the wait for the
   * cap's lock may lie hundreds of ms behind. Without it, `now` is used.
   */
  clock?: { now(): number };
}

export interface DrainResult {
  claimed: ClaimedTask[];
  /** Tasks skipped by the fire-time re-check. */
  skippedAtFire: number;
  /** Earliest instant a chat-pressure hold ends (UTC ms), or null. */
  holdUntil: number | null;
  /**
   * True when the batch was full (DRAIN_BATCH candidates), slots remain and it made
   * progress (claimed or skipped a task): more queued tasks may be startable now, and the
   * loop must drain again at once instead of sleeping (issue 10 fault 5).
   */
  more: boolean;
}

/**
 * Fire-time re-check (issue 3 item 5): a queued scheduled task (or its retry) whose schedule was
 * paused or deleted after planning becomes `skipped` with `paused_at_fire` /
 * `schedule_deleted` instead of starting. Guarded on `status='queued'`. Returns true
 * when it skipped the task.
 */
export async function skipAtFire(db: Db, taskId: string, reason: "paused_at_fire" | "schedule_deleted", now: number): Promise<boolean> {
  return skipQueuedTask(db, taskId, reason, now);
}

/**
 * Drain (issue 3 item 3): claims slots for queued tasks FIFO by (plannedAt, createdAt),
 * honouring `notBefore`, chat pressure and the per-schedule serialization of overlap
 * policies, until the cap is reached. Each claim is the single conditional UPDATE of
 * slot-claim.ts, so several runners draining at once never exceed the cap. Synchronous:
 * the caller starts the claimed tasks without blocking the loop.
 */
export async function drainQueue(input: DrainInput): Promise<DrainResult> {
  // One transaction for the whole drain: each claim is still its own conditional UPDATE
  // (the cap check and the write are one statement; on PostgreSQL behind the cap's advisory
  // lock, held to this commit), but a pass claiming N slots commits once instead of N times.
  return await withTransaction(input.db, async (tx) => drainInTransaction({ ...input, db: tx }));
}

async function drainInTransaction(input: DrainInput): Promise<DrainResult> {
  const { db, now, runnerId, settings } = input;
  const result: DrainResult = { claimed: [], skippedAtFire: 0, holdUntil: null, more: false };
  let running = await countRunning(db);
  if (running >= settings.maxConcurrent) return result;

  const candidates = await selectDrainCandidates(db, now, DRAIN_BATCH);
  if (!candidates.length) return result;
  if (db.$dialect === "pg") {
    // PostgreSQL: claims are serialized by the cap's advisory lock (ADR 0012), held to this
    // transaction's commit; after it, the count includes every other runner's claims.
    await lockCap(db);
    running = await countRunning(db);
  }
  const claimAt = input.clock?.now() ?? now;
  // Spend (src/lib/budgets): scheduled firings that would start over a cost cap are skipped.
  const budget = await BudgetGate.build(db, candidates.flatMap(({ task }) => (task.scheduleId && !isManualRooted(task) ? [task.scheduleId] : [])), now);

  const startedSchedules = new Set<string>();
  for (const { task, overlapPolicy, scheduleStatus } of candidates) {
    if (running >= settings.maxConcurrent) break;
    if (task.scheduleId && !isManualRooted(task) && (scheduleStatus == null || scheduleStatus === "paused")) {
      if (await skipAtFire(db, task.id, scheduleStatus == null ? "schedule_deleted" : "paused_at_fire", now)) result.skippedAtFire += 1;
      continue;
    }
    const overBudget = isManualRooted(task) ? null : budget.breachFor(task);
    if (overBudget) {
      if (await skipOverBudget(db, task, overBudget, now)) result.skippedAtFire += 1;
      continue;
    }
    const serialize = overlapPolicy != null && overlapPolicy !== "allow_all";
    if (serialize && task.scheduleId && startedSchedules.has(task.scheduleId)) continue;
    const pressure = await chatPressureHold(db, task, now, input.chatStreams, settings.chatPressureDelaySec);
    if (pressure.hold) {
      result.holdUntil = Math.min(result.holdUntil ?? Infinity, pressure.releaseAt!);
      continue;
    }
    const claimed = await claimSlot(db, {
      taskId: task.id,
      runnerId,
      now: claimAt,
      cap: settings.maxConcurrent,
      defaultLeaseSec: settings.maxRunDurationSec,
      serializePerSchedule: serialize,
    });
    if (!claimed) {
      running = await countRunning(db);
      continue;
    }
    running += 1;
    if (task.scheduleId) startedSchedules.add(task.scheduleId);
    result.claimed.push({
      task: { ...task, status: "running", runnerId, slotClaimedAt: claimAt, startedAt: claimAt },
      concurrentAtClaim: running,
      chatStreamsAtClaim: input.chatStreams,
    });
  }
  result.more = candidates.length === DRAIN_BATCH && running < settings.maxConcurrent && (result.claimed.length > 0 || result.skippedAtFire > 0);
  return result;
}
