import "server-only";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { isManualRooted } from "../tasks/run-state";
import { countDueNonManualQueued, markPressureHeld } from "../db/queries/slots";

export interface PressureDecision {
  /** True: don't start the task in this pass. */
  hold: boolean;
  /** UTC ms at which the hold ends whatever the chat does (null when not held). */
  releaseAt: number | null;
}

/**
 * Chat pressure (DESIGN.md invariant 8): while chat streams are in flight, a queued
 * scheduled or retry task is held back, at most `delaySec` in total. The first instant
 * it was held is stamped in `tasks.pressure_held_since` (never reset), so however often
 * chat starts and stops, the task waits at most delaySec after that instant. `plannedAt`
 * never changes. Manual runs and their retries are never held (the person asked for them
 * now; isManualRooted).
 * @param now UTC ms. @param streams chat streams in flight (active-streams.ts).
 */
export async function chatPressureHold(
  db: Db,
  task: Pick<TaskRow, "id" | "rootSourceType" | "pressureHeldSince">,
  now: number,
  streams: number,
  delaySec: number,
): Promise<PressureDecision> {
  if (streams === 0 || isManualRooted(task)) return { hold: false, releaseAt: null };
  let since = task.pressureHeldSince;
  if (since == null) {
    since = now;
    await markPressureHeld(db, task.id, now);
  }
  const releaseAt = since + delaySec * 1000;
  return now < releaseAt ? { hold: true, releaseAt } : { hold: false, releaseAt: null };
}

/**
 * Queued scheduled tasks and their retries that are due now: the starts a chat stream
 * holds back (manual-rooted runs are never held, see chatPressureHold). Shown in the chat's
 * `status` event.
 * @param now UTC ms.
 */
export async function countHeldByChatPressure(db: Db, now: number): Promise<number> {
  return countDueNonManualQueued(db, now);
}
