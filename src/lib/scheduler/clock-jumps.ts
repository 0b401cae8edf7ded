import "server-only";
import os from "node:os";
import type { Db } from "../db/client";
import { recordEvent } from "../events/log";
import type { ClockJump } from "../time/clock-watch";
import { reanchorFutureWatermarks } from "./occurrence-planner";
import { clockStepSeenByOtherRunner, lockClockStepHandling, shiftQueuedTimes, shiftRunnerLeases } from "../db/queries/planning";
import { CLOCK_JUMP_THRESHOLD_MS } from "./tuning";
import { withTransaction } from "../db/client";

/** What handling one clock jump changed (tests and logs). */
export interface ClockJumpHandled {
  /** This runner's running tasks whose leaseExpiresAt moved. */
  leasesShifted: number;
  /** Queued tasks whose notBefore / pressureHeldSince moved with a step. */
  queuedShifted: number;
  /** Schedules re-anchored after a backward step. */
  schedulesReanchored: number;
}

/**
 * Handles a wall-clock step or a suspend this runner detected (ADR 0006), in one
 * transaction:
 * - events: `clock_stepped` with the signed step (`data.stepMs`), `system_resumed` with
 *   the time suspended (`data.suspendedMs`);
 * - this runner's leases: `leaseExpiresAt` moves by step + suspended time, so the stored
 *   wall-clock expiry (display, the loop's wake, other runners) matches the monotonic one
 *   the reaper judges by — a suspended agent's lease is extended by the time it was frozen;
 * - after a step, queued tasks' pending `notBefore` (retry backoff) and
 *   `pressureHeldSince` (chat-pressure hold) move by the step, so a backoff or a hold lasts
 *   its real length. Several runners on one host see the same step: the first to record
 *   it moves these shared rows, the others only their own leases;
 * - after a backward step, schedules whose watermark now lies in the future are
 *   re-anchored (reanchorFutureWatermarks). A forward step or a wake needs nothing here:
 *   the next pass plans (lastPlannedAt, now] once with the catch-up policy.
 * @param now UTC ms (after the jump).
 */
export async function handleClockJump(db: Db, runnerId: string, jump: ClockJump, now: number): Promise<ClockJumpHandled> {
  const hostname = os.hostname();
  const shift = jump.stepMs + jump.suspendedMs;
  return await withTransaction(db, async (tx) => {
        const out: ClockJumpHandled = { leasesShifted: 0, queuedShifted: 0, schedulesReanchored: 0 };
        out.leasesShifted = await shiftRunnerLeases(tx, runnerId, shift);
        if (jump.suspendedMs) {
          const secs = Math.round(jump.suspendedMs / 1000);
          await recordEvent(tx, {
            kind: "system_resumed",
            message: `The machine was suspended for ${secs} s; ${out.leasesShifted} running lease${out.leasesShifted === 1 ? "" : "s"} extended by that time`,
            data: { suspendedMs: jump.suspendedMs, leasesExtended: out.leasesShifted, runnerId, hostname, wallBefore: jump.wallBefore, wallAfter: jump.wallAfter },
            createdAt: now,
          });
        }
        if (jump.stepMs) {
          // Runners on one host see the same step: one at a time, so only the first moves the shared rows.
          await lockClockStepHandling(tx);
          const seenHere = await clockStepSeenByOtherRunner(tx, {
            fromMs: now - 60_000,
            toMs: now + 60_000,
            hostname,
            runnerId,
            stepMs: jump.stepMs,
            thresholdMs: CLOCK_JUMP_THRESHOLD_MS,
          });
          if (!seenHere) out.queuedShifted += await shiftQueuedTimes(tx, jump.stepMs, jump.wallBefore);
          if (jump.stepMs < 0) out.schedulesReanchored = await reanchorFutureWatermarks(tx, now);
          const mins = Math.round((Math.abs(jump.stepMs) / 60_000) * 10) / 10;
          await recordEvent(tx, {
            kind: "clock_stepped",
            message: `The wall clock was set ${jump.stepMs < 0 ? "back" : "forward"} by ${mins >= 1 ? `${mins} min` : `${Math.round(Math.abs(jump.stepMs) / 1000)} s`}; leases kept their length${
              out.schedulesReanchored ? `, ${out.schedulesReanchored} schedule${out.schedulesReanchored === 1 ? "" : "s"} re-anchored` : ""
            }`,
            data: { stepMs: jump.stepMs, leasesShifted: out.leasesShifted, schedulesReanchored: out.schedulesReanchored, runnerId, hostname, wallBefore: jump.wallBefore, wallAfter: jump.wallAfter },
            createdAt: now,
          });
        }
        return out;
      });
}
