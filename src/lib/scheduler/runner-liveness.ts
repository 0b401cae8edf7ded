import "server-only";
import { processStartTime, thisHost } from "../runtimes/process-table";
import { RUNNER_STALE_MS } from "./tuning";

/** The runner columns that decide whether a runner is gone. */
export interface RunnerLivenessRow {
  pid: number;
  hostKey: string | null;
  processStartTime: number | null;
  heartbeatAt: number;
  stoppedAt: number | null;
}

/**
 * Is this runner gone (its tasks to be recovered, its chat replies finalized)? The one rule,
 * used by recovery and chat reconcile (DESIGN.md invariant 9, ADR 0005):
 * - no row, or marked stopped → gone;
 * - on this host (same host key): gone at once when no process has its pid, or the process
 *   that has it started at another time (the pid was reused) — a crash followed by a quick
 *   restart is recovered at boot, not after the heartbeat timeout;
 * - otherwise (another host, or a row without a start stamp whose pid is alive) → gone when
 *   its heartbeat is older than RUNNER_STALE_MS (the bound for other hosts: ≤ 30 s after
 *   the last heartbeat, plus the observer's next heartbeat, ≤ 5 s).
 * @param now UTC ms.
 */
export function runnerIsGone(runner: RunnerLivenessRow | null | undefined, now: number): boolean {
  if (!runner) return true;
  if (runner.stoppedAt != null) return true;
  if (runner.hostKey != null && runner.hostKey === thisHost()) {
    const start = processStartTime(runner.pid);
    if (start == null) return true;
    if (runner.processStartTime != null && start !== runner.processStartTime) return true;
  }
  return runner.heartbeatAt < now - RUNNER_STALE_MS;
}
