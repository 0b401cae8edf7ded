import "server-only";
import { performance } from "node:perf_hooks";
import type { EventLoopDelayDto } from "../api-types";
import { processSingleton } from "../process-singleton";

/**
 * Main-thread event-loop delay over a sliding window, for `GET /api/scheduler/status`
 * `eventLoopDelay` (issue 15 item 2: the black-box benchmark reads the server's own view).
 *
 * A 10 ms interval timer (unref'd, so it never keeps the process alive) records how late
 * each tick ran: delay = time since the previous tick − 10 ms, so an idle loop reads ≈ 0
 * (unlike `eventLoopLagMs`, read from the same samples with the 10 ms
 * sampling interval added back). Like any timer-based monitor, one long stall is one sample. The last
 * 60 s of samples (≤ 6,000) are kept in a ring buffer; a summary sorts that window's
 * samples (≈ 0.3 ms). A stall is recorded when the tick after it runs, at that tick's time.
 */
export const LOOP_SAMPLE_INTERVAL_MS = 10;
/** The window `GET /api/scheduler/status` reports, ms. */
export const LOOP_DELAY_WINDOW_MS = 60_000;

export type EventLoopDelaySummary = EventLoopDelayDto;

/** The sample store and its summary, separate from the timer so tests can feed it times. */
export class LoopDelayWindow {
  private readonly at: Float64Array;
  private readonly delay: Float64Array;
  private next = 0;
  private size = 0;

  /** @param windowMs how far back a summary looks. @param capacity samples kept (≥ window / interval). */
  constructor(
    readonly windowMs: number = LOOP_DELAY_WINDOW_MS,
    capacity: number = Math.ceil(windowMs / LOOP_SAMPLE_INTERVAL_MS) + 100,
    readonly startedAt: number = performance.now(),
  ) {
    this.at = new Float64Array(capacity);
    this.delay = new Float64Array(capacity);
  }

  /** Records one tick's delay (ms, clamped at 0) observed at `at` (performance.now() ms). */
  record(delayMs: number, at: number): void {
    this.at[this.next] = at;
    this.delay[this.next] = Math.max(0, delayMs);
    this.next = (this.next + 1) % this.at.length;
    this.size = Math.min(this.size + 1, this.at.length);
  }

  /**
   * The p-th percentile of the delays recorded in (since, now] (performance.now() ms), ms; null
   * when none was (an interval shorter than one tick). Samples older than the ring buffer's
   * capacity (≈ 61 s) are gone, so for a longer interval this covers its last minute.
   */
  percentileSince(p: number, since: number, now: number = performance.now()): number | null {
    const values: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.at[i] > since && this.at[i] <= now) values.push(this.delay[i]);
    if (!values.length) return null;
    values.sort((a, b) => a - b);
    return round2(values[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]);
  }

  /** p50 / p99 / max of the samples recorded in (now − windowMs, now]. */
  summary(now: number = performance.now()): EventLoopDelaySummary {
    const from = now - this.windowMs;
    const values = new Float64Array(this.size);
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.at[i] > from && this.at[i] <= now) values[n++] = this.delay[i];
    const sorted = values.subarray(0, n).sort();
    const pick = (p: number) => (n ? round2(sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]) : 0);
    return {
      windowSec: Math.round(Math.min(this.windowMs, now - this.startedAt) / 100) / 10,
      samples: n,
      p50Ms: pick(50),
      p99Ms: pick(99),
      maxMs: n ? round2(sorted[n - 1]) : 0,
    };
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Starts the process's monitor once (idempotent; called at boot and on the first status
 * read). Returns its window.
 */
export function startEventLoopDelayMonitor(): LoopDelayWindow {
  return processSingleton("event-loop-delay", () => {
    const window = new LoopDelayWindow();
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      window.record(now - last - LOOP_SAMPLE_INTERVAL_MS, now);
      last = now;
    }, LOOP_SAMPLE_INTERVAL_MS);
    timer.unref();
    return window;
  });
}

/** The main thread's event-loop delay over the last 60 s (see the module comment). */
export function eventLoopDelaySummary(): EventLoopDelaySummary {
  return startEventLoopDelayMonitor().summary();
}
