import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import { selectPendingChains } from "../db/queries/triggers";
import { insertTaskIfAbsent, selectScheduleById } from "../db/queries/tasks-core";
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

/**
 * One scheduler-pass step: for each active schedule whose upstream schedule has a completed
 * task (finished within CHAIN_LOOKBACK_MS and after the dependency was set) that has not
 * triggered it yet, inserts a queued root task (`sourceType` scheduled, `plannedAt` = the
 * upstream's finish time (chainedPlannedAt), `triggerKind` dependency, `triggeredByTaskId`). The unique index
 * tasks_triggered_by_unique makes it exactly once per upstream run across runners and
 * restarts (`ON CONFLICT DO NOTHING`); the drain then claims it under the cap like any
 * queued task. Returns the ids created and whether a full batch was seen (run again).
 * @param now UTC ms (the injected clock).
 */
export async function planChainedTasks(db: Db, now: number): Promise<{ created: string[]; more: boolean }> {
  const since = now - CHAIN_LOOKBACK_MS;
  const pending = await selectPendingChains(db, since, since - LIMITS.maxRunDurationSecMax * 1000, CHAIN_BATCH);
  const created: string[] = [];
  for (const { schedule, upstreamTaskId, upstreamFinishedAt } of pending) {
    const row: TaskRow = {
      ...UNCLAIMED_RUN_STATE,
      ...taskTemplateFromSchedule(schedule),
      id: randomUUID(),
      status: "queued",
      sourceType: "scheduled",
      rootSourceType: "scheduled",
      plannedAt: chainedPlannedAt(upstreamFinishedAt),
      attempt: 1,
      parentTaskId: null,
      notBefore: null,
      createdAt: now,
      triggerKind: "dependency",
      triggeredByTaskId: upstreamTaskId,
    };
    if (await insertTaskIfAbsent(db, row)) created.push(row.id);
  }
  return { created, more: pending.length === CHAIN_BATCH };
}
