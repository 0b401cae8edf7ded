import "server-only";
import { randomUUID } from "node:crypto";
import { withTransaction, type Db } from "../db/client";
import { selectScheduleForPlanning } from "../db/queries/planning";
import { activeTasksForOverlap, applyOverlapDecision } from "../scheduler/overlap-apply";
import { decideOverlap } from "../scheduler/overlap-policy";
import { selectPendingChains } from "../db/queries/triggers";
import { insertTaskIfAbsent, selectScheduleById } from "../db/queries/tasks-core";
import { retryBackoffFromEnv } from "../scheduler/retries";
import type { ScheduleRow, TaskRow } from "../db/schema";
import { LIMITS } from "../db/constants";
import { invalidRequest } from "../errors";
import { taskTemplateFromSchedule, UNCLAIMED_RUN_STATE } from "../tasks/run-state";

/**
 * Chaining (issue 12 item 7; ADR 0019-triggers-hook-auth-and-chaining): a schedule with
 * `dependsOnScheduleId = X` runs after each success of X, besides its own cron.
 */

/** Upstream successes older than this (ms) are not chained any more (after a long outage they are dropped, not replayed). */
export const CHAIN_LOOKBACK_MS = 24 * 3600 * 1000;
/** At most this many chained tasks are created per scheduler pass (the rest in the next one, poked at once). */
export const CHAIN_BATCH = 100;
/** Longest dependency path followed when checking for a cycle. */
const MAX_CHAIN_DEPTH = 1000;

/** The columns a (new) dependency sets: successes count from `now` (UTC ms); null clears it. */
export function dependencyColumns(dependsOnScheduleId: string | null, now: number): Pick<ScheduleRow, "dependsOnScheduleId" | "dependsOnSince"> {
  return { dependsOnScheduleId, dependsOnSince: dependsOnScheduleId ? now : null };
}

/**
 * Refuses a dependency that can't hold: on an unknown schedule, on itself, or closing a
 * cycle (X depends on … which depends on `scheduleId`). `scheduleId` null = a schedule
 * being created (nothing depends on it yet, so only existence is checked).
 * @throws AppError 400 `invalid_request` with `fields.dependsOnScheduleId`.
 */
export async function assertDependencyAllowed(db: Db, scheduleId: string | null, dependsOnScheduleId: string): Promise<void> {
  if (dependsOnScheduleId === scheduleId) throw invalidRequest({ dependsOnScheduleId: "a schedule can't depend on itself" });
  const target = await selectScheduleById(db, dependsOnScheduleId);
  if (!target) throw invalidRequest({ dependsOnScheduleId: `unknown schedule ${dependsOnScheduleId}` });
  if (scheduleId === null) return;
  const path = [target.name];
  let next = target.dependsOnScheduleId;
  for (let depth = 0; next && depth < MAX_CHAIN_DEPTH; depth += 1) {
    if (next === scheduleId) {
      throw invalidRequest({ dependsOnScheduleId: `would make a cycle: this schedule → ${path.join(" → ")} → this schedule` });
    }
    const s = await selectScheduleById(db, next);
    if (!s) return;
    path.push(s.name);
    next = s.dependsOnScheduleId;
  }
}

/**
 * The `plannedAt` (UTC ms) of a chained task: the upstream's finish time, moved 1 ms off a
 * whole second. Cron occurrences always fall on whole seconds, so a chained task never takes
 * the (scheduleId, plannedAt) slot of the schedule's own cron occurrence (invariant 1's index).
 */
export function chainedPlannedAt(upstreamFinishedAt: number): number {
  return upstreamFinishedAt % 1000 === 0 ? upstreamFinishedAt + 1 : upstreamFinishedAt;
}

/** What one chain step did: tasks queued, tasks recorded as skipped by the overlap policy, running tasks cancelled by it. */
export interface ChainStepResult {
  created: string[];
  skipped: string[];
  cancelledRunning: string[];
  /** A full batch was seen, or a schedule was locked by another runner: run again. */
  more: boolean;
}

/**
 * One scheduler-pass step: for each active schedule whose upstream schedule has a completed
 * task (finished within CHAIN_LOOKBACK_MS and after the dependency was set) that has not
 * triggered it yet, inserts a root task (`sourceType` scheduled, `plannedAt` = the
 * upstream's finish time (chainedPlannedAt), `triggerKind` dependency, `triggeredByTaskId`).
 * The downstream schedule's **overlap policy** decides it exactly as for a cron occurrence
 * (decideOverlap; issue 12 gap): `skip` records it as `skipped` / `overlap` while the
 * schedule has a queued or running task, `buffer_one` while one is queued, `cancel_other`
 * skips the queued ones and cancels the running ones (returned in `cancelledRunning`, the
 * caller aborts their processes), `buffer_all`/`allow_all` queue it. Each chain is decided
 * in one transaction holding the schedule's planning lock (ADR 0013), so a cron occurrence
 * and a chained run, or two runners, see each other. The unique index
 * tasks_triggered_by_unique makes it exactly once per upstream run — a skipped one included,
 * so it is decided once and never replayed — across runners and restarts (`ON CONFLICT DO
 * NOTHING`, the side effects only after the insert won); the drain then claims a queued one
 * under the cap like any queued task.
 * @param now UTC ms (the injected clock). @param retryBackoffMs retry delays (ms) for the guarded cancel.
 */
export async function planChainedTasks(db: Db, now: number, retryBackoffMs: readonly number[] = retryBackoffFromEnv()): Promise<ChainStepResult> {
  const since = now - CHAIN_LOOKBACK_MS;
  const pending = await selectPendingChains(db, since, since - LIMITS.maxRunDurationSecMax * 1000, CHAIN_BATCH);
  const out: ChainStepResult = { created: [], skipped: [], cancelledRunning: [], more: pending.length === CHAIN_BATCH };
  for (const { schedule, upstreamTaskId, upstreamFinishedAt } of pending) {
    const step = await withTransaction(db, async (tx) => {
      const s = await selectScheduleForPlanning(tx, schedule.id);
      if (s === "locked") return "busy" as const;
      if (!s || s.status !== "active") return null;
      const active = await activeTasksForOverlap(tx, s.id);
      const decision = decideOverlap(s.overlapPolicy, { queued: active.queued, running: active.running.map((r) => r.id) });
      const row: TaskRow = {
        ...UNCLAIMED_RUN_STATE,
        ...taskTemplateFromSchedule(s),
        id: randomUUID(),
        status: decision.queue ? "queued" : "skipped",
        sourceType: "scheduled",
        rootSourceType: "scheduled",
        plannedAt: chainedPlannedAt(upstreamFinishedAt),
        attempt: 1,
        parentTaskId: null,
        notBefore: null,
        finishedAt: decision.queue ? null : now,
        skippedReason: decision.queue ? null : "overlap",
        createdAt: now,
        triggerKind: "dependency",
        triggeredByTaskId: upstreamTaskId,
      };
      if (!(await insertTaskIfAbsent(tx, row))) return null;
      const cancelled = await applyOverlapDecision(tx, decision, active.running, now, retryBackoffMs, "Cancelled by a newer chained run (overlap policy cancel_other)");
      return { row, cancelled };
    });
    if (step === "busy") out.more = true;
    else if (step) {
      (step.row.status === "queued" ? out.created : out.skipped).push(step.row.id);
      out.cancelledRunning.push(...step.cancelled);
    }
  }
  return out;
}
