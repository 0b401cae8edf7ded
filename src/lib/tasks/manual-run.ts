import "server-only";
import { randomUUID } from "node:crypto";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { AppError } from "../errors";
import { recordEvent } from "../events/log";
import { activeStreamCount } from "../chat/active-streams";
import { getSchedulerLoop, type SchedulerLoop } from "../scheduler/loop";
import { claimSlot, countRunning } from "../scheduler/slot-claim";
import { estimateSlotEtaSec } from "../scheduler/slot-eta";
import { insertTaskIfAbsent, selectTaskById } from "../db/queries/tasks-core";
import { getSchedule, assertScheduleActive } from "../schedules/service";
import { getTask } from "./queries";
import { taskTemplateFromSchedule, UNCLAIMED_RUN_STATE, type TaskTemplate } from "./run-state";
import { withTransaction } from "../db/client";
import { groupAtCap } from "../concurrency-groups/service";

/** What a manual task copies from its schedule or from the task it reruns. */

export interface ManualRun {
  taskId: string;
  /** True when the run bypassed a full cap (`?force=true`). */
  forced: boolean;
  /** Present (true) when no slot was free and `?queue=true` left the task queued for the drain. */
  queued?: true;
}

/**
 * What a caller adds to a manual task (triggers, issue 12 item 1): its trigger columns, and
 * writes that must commit with the task or not at all (the fire URL's idempotency key).
 * `inTransaction` runs inside startManualTask's transaction right after the task row is
 * inserted; if it throws, nothing is written and the error propagates.
 */
export interface ManualTaskExtras {
  trigger?: Pick<TaskRow, "triggerKind" | "triggerBody">;
  inTransaction?: (tx: Db, taskId: string) => Promise<void>;
}

/**
 * The process's scheduler loop, which owns the runner id and starts the run.
 * @throws AppError 503 `scheduler_not_ready` before boot.
 */
export function requireSchedulerLoop(): SchedulerLoop {
  const loop = getSchedulerLoop();
  if (!loop) throw new AppError("scheduler_not_ready", "The scheduler is still starting; try again in a moment.");
  return loop;
}

/**
 * Creates a manual root task (`sourceType='manual'`, `plannedAt` null) and claims its
 * slot with the same single-statement claim as the drain, in ONE transaction: a manual
 * run counts against the cap, and when the cap is full nothing is written. With
 * `force`, a full cap is bypassed (`forced=true`) and a `manual_force_bypass` event is
 * recorded; a free slot is simply used (forced stays false). Then starts the run.
 * With `queue` ("Queue it" in the capacity dialog) and no free slot, the task stays
 * `queued` — committed, not claimed — and the drain starts it FIFO when a slot frees
 * (`queued: true`); with a free slot it starts at once as usual. A claimed run costs no
 * scheduler pass: it is spawned from the loop's launch queue after the request returns,
 * and the loop's wake is moved up to its lease expiry (SchedulerLoop.wakeBy).
 * @throws AppError 429 `capacity_full` with `slotEtaSec` (slot-eta.ts); 503 `scheduler_not_ready`.
 */
export async function startManualTask(db: Db, template: TaskTemplate, force: boolean, queue = false, extras: ManualTaskExtras = {}): Promise<ManualRun> {
  const loop = requireSchedulerLoop();
  const now = loop.clock.now();
  const settings = await getSettings(db);
  const id = randomUUID();
  const row: TaskRow = {
    ...template,
    ...UNCLAIMED_RUN_STATE,
    id,
    status: "queued",
    sourceType: "manual",
    rootSourceType: "manual",
    plannedAt: null,
    attempt: 1,
    parentTaskId: null,
    notBefore: null,
    createdAt: now,
    ...extras.trigger,
  };
  const claim = { taskId: id, runnerId: loop.runnerId, now, cap: settings.maxConcurrent, defaultLeaseSec: settings.maxRunDurationSec };
  const outcome = await withTransaction(db, async (tx): Promise<"claimed" | "forced" | "queued"> => {
        await insertTaskIfAbsent(tx, row);
        await extras.inTransaction?.(tx, id);
        if (await claimSlot(tx, claim)) return "claimed";
        if (queue && !force) {
          await recordEvent(tx, {
            kind: "manual_queued",
            scheduleId: template.scheduleId,
            taskId: id,
            message: `Run now queued: all ${settings.maxConcurrent} slots were busy`,
            data: { maxConcurrent: settings.maxConcurrent },
            createdAt: now,
          });
          return "queued";
        }
        if (!force) {
          const slotEtaSec = await estimateSlotEtaSec(tx, now);
          const group = await groupAtCap(tx, template.concurrencyGroup);
          if (group) {
            throw new AppError(
              "capacity_full",
              `Concurrency group "${group.name}" is at its cap (${group.running} of ${group.maxConcurrent} running). Try again when one finishes, queue it, or run it anyway with force.`,
              { extra: { slotEtaSec, concurrencyGroup: group.name } },
            );
          }
          throw new AppError(
            "capacity_full",
            `All ${settings.maxConcurrent} slots are busy; one should free in about ${slotEtaSec} s. Try again then, or run it anyway with force.`,
            { extra: { slotEtaSec } },
          );
        }
        if (!await claimSlot(tx, { ...claim, force: true })) throw new Error(`forced claim of ${id} changed nothing`);
        await recordEvent(tx, {
          kind: "manual_force_bypass",
          scheduleId: template.scheduleId,
          taskId: id,
          message: `Run now forced past the concurrency cap (${settings.maxConcurrent})`,
          data: { maxConcurrent: settings.maxConcurrent, running: await countRunning(tx) },
          createdAt: now,
        });
        return "forced";
      });
  if (outcome === "queued") {
    loop.poke("manual_run");
    return { taskId: id, forced: false, queued: true };
  }
  const forced = outcome === "forced";
  const task = (await selectTaskById(db, id))!;
  // Spawned from the loop's launch queue after this request returns (no scheduler pass).
  await loop.launch({ task, concurrentAtClaim: await countRunning(db), chatStreamsAtClaim: activeStreamCount() });
  // The loop may be asleep until a far-off occurrence: wake it by this task's lease
  // expiry so the reaper sees it on time.
  if (task.leaseExpiresAt != null) loop.wakeBy(task.leaseExpiresAt);
  return { taskId: id, forced };
}

/**
 * Run now (POST /api/schedules/:id/execute): a manual task with the schedule's prompt,
 * runtime and budgets; `queue` as in startManualTask. `whilePaused` lets a paused schedule
 * run once (to test a fix); the schedule stays paused. Completed and expired schedules never run.
 * `prompt` replaces the schedule's prompt for this one run (issue 12 item 1; the caller has
 * checked its prompt variables); the schedule is unchanged.
 * @throws AppError 404 `schedule_not_found`, 409 `schedule_not_active`, 429 `capacity_full`.
 */
export async function runScheduleNow(
  db: Db,
  scheduleId: string,
  force: boolean,
  { queue = false, whilePaused = false, prompt }: { queue?: boolean; whilePaused?: boolean; prompt?: string } = {},
): Promise<ManualRun> {
  const s = await getSchedule(scheduleId, db);
  if (!(whilePaused && s.status === "paused")) assertScheduleActive(s);
  const template = taskTemplateFromSchedule(s);
  return startManualTask(db, prompt === undefined ? template : { ...template, prompt }, force, queue);
}

/**
 * Rerun (POST /api/tasks/:id/rerun): a new manual task with the same prompt, schedule,
 * runtime and budgets as the given task, under the same cap rule as Run now (and `queue`).
 * @throws AppError 404 `task_not_found`, 429 `capacity_full`.
 */
export async function rerunTask(db: Db, taskId: string, force: boolean, queue = false): Promise<ManualRun> {
  const t = await getTask(db, taskId);
  return startManualTask(
    db,
    {
      scheduleId: t.scheduleId,
      runtimeId: t.runtimeId,
      concurrencyGroup: t.concurrencyGroup,
      title: t.title,
      prompt: t.prompt,
      maxTurns: t.maxTurns,
      maxRunDurationSec: t.maxRunDurationSec,
      maxAttempts: t.maxAttempts,
    },
    force,
    queue,
  );
}
