import type { Clock } from "./clock";

/**
 * A wall-clock discontinuity seen between two readings of a Clock (ADR 0006). Signed ms;
 * `stepMs + suspendedMs` is how far the wall clock moved beyond the monotonic clock.
 */
export interface ClockJump {
  /** The wall clock was set by this much (signed ms; 0 = no step). */
  stepMs: number;
  /** The machine was suspended this long (ms; 0 = no suspend). */
  suspendedMs: number;
  /** Wall readings (UTC ms) before and after the jump. */
  wallBefore: number;
  wallAfter: number;
}

/**
 * Watches for wall-clock steps and suspends by comparing the wall clock with the
 * monotonic clock between checks (call `check()` on every loop pass and heartbeat).
 * Between two checks the wall clock should move as much as the monotonic one; when it
 * moved more or less by over `thresholdMs`, the difference is
 * - a suspend, as far as boottime moved beyond monotonic (CLOCK_BOOTTIME counts sleep,
 *   CLOCK_MONOTONIC doesn't), and
 * - a step, for the rest (the wall clock was set; neither other clock noticed).
 * Without boottime (non-Linux) every jump is reported as a step.
 */
export class ClockWatch {
  private last: { wall: number; mono: number; boot: number | null } | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly thresholdMs: number,
  ) {
    this.last = this.read();
  }

  private read() {
    return { wall: this.clock.now(), mono: this.clock.monotonic(), boot: this.clock.boottime() };
  }

  /** Reads the clocks; returns the jump since the previous check, or null when none passed the threshold. */
  check(): ClockJump | null {
    const cur = this.read();
    const prev = this.last ?? cur;
    this.last = cur;
    const dMono = cur.mono - prev.mono;
    const drift = cur.wall - prev.wall - dMono;
    if (Math.abs(drift) <= this.thresholdMs) return null;
    let suspendedMs = cur.boot != null && prev.boot != null ? Math.max(0, cur.boot - prev.boot - dMono) : 0;
    if (suspendedMs <= this.thresholdMs) suspendedMs = 0;
    let stepMs = drift - suspendedMs;
    if (Math.abs(stepMs) <= this.thresholdMs) {
      // The wall clock moved as far as the machine slept (± the threshold): a pure suspend.
      suspendedMs = Math.max(0, drift);
      stepMs = drift - suspendedMs;
    }
    return { stepMs: Math.round(stepMs), suspendedMs: Math.round(suspendedMs), wallBefore: prev.wall, wallAfter: cur.wall };
  }
}
