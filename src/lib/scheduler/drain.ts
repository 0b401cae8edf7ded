import "server-only";
import { and, asc, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Settings } from "../config/settings";
import type { Db } from "../db/client";
import { schedules, tasks, type TaskRow } from "../db/schema";
import { isManualRooted } from "../tasks/run-state";
import { chatPressureHold } from "./chat-pressure";
import { claimSlot, countRunning } from "./slot-claim";
import { cachedQuery, prepared } from "./statements";
import { DRAIN_BATCH } from "./tuning";
import { withTransaction } from "../db/client";

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
  return prepared(db, "UPDATE tasks SET status = 'skipped', skipped_reason = ?, finished_at = ? WHERE id = ? AND status = 'queued'").run(reason, now, taskId).changes === 1;
}

/**
 * Drain (issue 3 item 3): claims slots for queued tasks FIFO by (plannedAt, createdAt),
 * honouring `notBefore`, chat pressure and the per-schedule serialization of overlap
 * policies, until the cap is reached. Each claim is the single conditional UPDATE of
 * slot-claim.ts, so several runners draining at once never exceed the cap. Synchronous:
 * the caller starts the claimed tasks without blocking the loop.
 */
export async function drainQueue(input: DrainInput): Promise<DrainResult> {
  // One IMMEDIATE transaction for the whole drain: each claim is still its own conditional
  // UPDATE (the cap check and the write are one statement), but a pass claiming N slots
  // commits once instead of N times.
  return await withTransaction(input.db, async (tx) => drainInTransaction({ ...input, db: tx }));
}

async function drainInTransaction(input: DrainInput): Promise<DrainResult> {
  const { db, now, runnerId, settings } = input;
  const result: DrainResult = { claimed: [], skippedAtFire: 0, holdUntil: null, more: false };
  let running = await countRunning(db);
  if (running >= settings.maxConcurrent) return result;

  const candidates = cachedQuery(db, "drain-candidates", () =>
    db
      .select({ task: tasks, overlapPolicy: schedules.overlapPolicy, scheduleStatus: schedules.status })
      .from(tasks)
      .leftJoin(schedules, eq(schedules.id, tasks.scheduleId))
      .where(
        and(
          eq(tasks.status, "queued"),
          or(isNull(tasks.notBefore), lte(tasks.notBefore, sql.placeholder("now"))),
          // A schedule with a running task can't start another unless it allows overlap.
          sql`(${schedules.overlapPolicy} IS NULL OR ${schedules.overlapPolicy} = 'allow_all' OR NOT EXISTS (
            SELECT 1 FROM tasks AS r WHERE r.schedule_id = ${tasks.scheduleId} AND r.status = 'running'))`,
        ),
      )
      .orderBy(asc(tasks.plannedAt), asc(tasks.createdAt))
      .limit(DRAIN_BATCH)
      .prepare(),
  ).all({ now });

  const startedSchedules = new Set<string>();
  for (const { task, overlapPolicy, scheduleStatus } of candidates) {
    if (running >= settings.maxConcurrent) break;
    if (task.scheduleId && !isManualRooted(task) && (scheduleStatus == null || scheduleStatus === "paused")) {
      if (await skipAtFire(db, task.id, scheduleStatus == null ? "schedule_deleted" : "paused_at_fire", now)) result.skippedAtFire += 1;
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
      now,
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
      task: { ...task, status: "running", runnerId, slotClaimedAt: now, startedAt: now },
      concurrentAtClaim: running,
      chatStreamsAtClaim: input.chatStreams,
    });
  }
  result.more = candidates.length === DRAIN_BATCH && running < settings.maxConcurrent && (result.claimed.length > 0 || result.skippedAtFire > 0);
  return result;
}
