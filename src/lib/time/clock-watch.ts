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
  private last: { wall: number; mono: number };
  /**
   * boottime − monotonic at the last real boottime read (null: no boottime here), and when
   * (monotonic ms). The two clocks part only while the machine sleeps, which the wall clock
   * shows as drift: between jumps boottime is known from this offset, so a check reads only
   * the two cheap clocks (boottime is a /proc read, ~0.3 ms on the bench machine, every pass).
   */
  private bootOffset!: number | null;
  private bootReadAtMono!: number;

  constructor(
    private readonly clock: Clock,
    private readonly thresholdMs: number,
  ) {
    this.last = { wall: clock.now(), mono: clock.monotonic() };
    this.readBoottime(this.last.mono);
  }

  /** Reads the clocks; returns the jump since the previous check, or null when none passed the threshold. */
  check(): ClockJump | null {
    const cur = { wall: this.clock.now(), mono: this.clock.monotonic() };
    const prev = this.last;
    this.last = cur;
    const dMono = cur.mono - prev.mono;
    const drift = cur.wall - prev.wall - dMono;
    if (Math.abs(drift) <= this.thresholdMs) {
      // Sleeps shorter than the threshold pass unseen and shift the offset: read boottime for
      // real now and then (BOOTTIME_REFRESH_MS), so they never add up.
      if (this.bootOffset != null && cur.mono - this.bootReadAtMono >= BOOTTIME_REFRESH_MS) this.readBoottime(cur.mono);
      return null;
    }
    // boottime at the previous check, from the offset (no sleep since the read: it would have shown as drift).
    const prevBoot = this.bootOffset == null ? null : prev.mono + this.bootOffset;
    const curBoot = this.readBoottime(cur.mono);
    let suspendedMs = curBoot != null && prevBoot != null ? Math.max(0, curBoot - prevBoot - dMono) : 0;
    if (suspendedMs <= this.thresholdMs) suspendedMs = 0;
    let stepMs = drift - suspendedMs;
    if (Math.abs(stepMs) <= this.thresholdMs) {
      // The wall clock moved as far as the machine slept (± the threshold): a pure suspend.
      suspendedMs = Math.max(0, drift);
      stepMs = drift - suspendedMs;
    }
    return { stepMs: Math.round(stepMs), suspendedMs: Math.round(suspendedMs), wallBefore: prev.wall, wallAfter: cur.wall };
  }

  private readBoottime(mono: number): number | null {
    const boot = this.clock.boottime();
    this.bootOffset = boot == null ? null : boot - mono;
    this.bootReadAtMono = mono;
    return boot;
  }
}

/** Between jumps, boottime is still read for real this often (monotonic ms). */
export const BOOTTIME_REFRESH_MS = 60_000;
