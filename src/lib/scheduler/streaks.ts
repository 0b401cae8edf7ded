import "server-only";
import type { PausedReason } from "../db/constants";
import type { ScheduleRow, TaskRow } from "../db/schema";
import { updateScheduleAfterFiring } from "../db/queries/task-runs";
import { recordEvent, type DbOrTx } from "../events/log";
import type { TaskOutcome } from "../runtimes/task-executor";
import { hasCron, nextOccurrence } from "../schedules/cron";
import { AVG_TURNS_EMA_OLD_WEIGHT, FAILURE_STREAK_PAUSE_AT, TURN_BREACH_GRACE_INTERVALS, TURN_BREACH_STREAK_PAUSE_AT } from "./tuning";

/**
 * True when a turn-budget breach falls in the first-breach grace: the firing's
 * occurrence is among the first TURN_BREACH_GRACE_INTERVALS (2) occurrences after the
 * last `maxTurns` edit (DESIGN.md "Policies" → failure streaks), so a freshly lowered
 * budget can't auto-pause a schedule minutes after the edit.
 */
export function inTurnBudgetGrace(schedule: ScheduleRow, firingAt: number): boolean {
  if (schedule.maxTurnsSetAt == null) return false;
  // Chained only (no cron, ADR 0024): no cron intervals to count a grace in.
  if (!hasCron(schedule)) return false;
  try {
    let boundary = schedule.maxTurnsSetAt;
    for (let i = 0; i < TURN_BREACH_GRACE_INTERVALS; i++) {
      const next = nextOccurrence(schedule.cronExpression, schedule.timezone, boundary);
      if (next == null) return true;
      boundary = next;
    }
    return firingAt <= boundary;
  } catch {
    return false;
  }
}

export interface StreakResult {
  autoPaused: PausedReason | null;
}

/**
 * Updates a schedule after one finished firing, inside the terminal write's transaction
 * (issue 3 item 8): lastTurnCount, avgTurnsPerFiring (EMA 0.7 old / 0.3 new),
 * lastFailureReason, and the two streaks:
 * - success resets both streaks;
 * - `turn_limit_exceeded` increments turnBudgetBreachStreak unless in the first-breach
 *   grace; 5 in a row auto-pause with `turn_budget_breach_streak`;
 * - any other failure that is final for its occurrence (not retried) increments
 *   failureStreak; 3 in a row auto-pause with `failure_streak`;
 * - a cancelled run changes no streak and is left out of avgTurnsPerFiring.
 * Each auto-pause writes an `auto_paused` event. Manual runs don't touch streaks (the
 * caller skips them).
 */
export async function applyFiringToSchedule(
  tx: DbOrTx,
  schedule: ScheduleRow,
  task: TaskRow,
  outcome: TaskOutcome,
  retried: boolean,
  now: number,
): Promise<StreakResult> {
  const turns = outcome.turnCount;
  const patch: Partial<ScheduleRow> = { lastTurnCount: turns, updatedAt: now };
  // A cancelled run was cut short by a person or a newer occurrence: its turn count says
  // nothing about what the schedule needs, so it stays out of the average.
  if (outcome.status !== "cancelled") {
    const avg =
      schedule.avgTurnsPerFiring == null ? turns : AVG_TURNS_EMA_OLD_WEIGHT * schedule.avgTurnsPerFiring + (1 - AVG_TURNS_EMA_OLD_WEIGHT) * turns;
    patch.avgTurnsPerFiring = Math.round(avg * 100) / 100;
  }
  let pause: PausedReason | null = null;

  if (outcome.status === "completed") {
    patch.failureStreak = 0;
    patch.turnBudgetBreachStreak = 0;
  } else if (outcome.status === "failed") {
    patch.lastFailureReason = outcome.failureReason;
    if (outcome.failureReason === "turn_limit_exceeded") {
      const firingAt = task.plannedAt ?? task.startedAt ?? now;
      if (!inTurnBudgetGrace(schedule, firingAt)) {
        patch.turnBudgetBreachStreak = schedule.turnBudgetBreachStreak + 1;
        if (patch.turnBudgetBreachStreak >= TURN_BREACH_STREAK_PAUSE_AT) pause = "turn_budget_breach_streak";
      }
    } else if (!retried) {
      patch.failureStreak = schedule.failureStreak + 1;
      if (patch.failureStreak >= FAILURE_STREAK_PAUSE_AT) pause = "failure_streak";
    }
  }

  if (pause && schedule.status === "active") {
    patch.status = "paused";
    patch.pausedReason = pause;
    patch.nextFireAt = null;
    await recordEvent(tx, {
      kind: "auto_paused",
      scheduleId: schedule.id,
      taskId: task.id,
      message:
        pause === "failure_streak"
          ? `Paused after ${patch.failureStreak} failures in a row (last: ${outcome.failureReason})`
          : `Paused after ${patch.turnBudgetBreachStreak} turn-budget breaches in a row (maxTurns ${task.maxTurns})`,
      data: { pausedReason: pause, failureReason: outcome.failureReason, failureStreak: patch.failureStreak, turnBudgetBreachStreak: patch.turnBudgetBreachStreak },
      createdAt: now,
    });
  } else {
    pause = null;
  }
  await updateScheduleAfterFiring(tx, schedule.id, patch);
  return { autoPaused: pause };
}
