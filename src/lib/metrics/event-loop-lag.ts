import "server-only";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { processSingleton } from "../process-singleton";

const WINDOW_MS = 60_000;

interface LagMonitor {
  histogram: IntervalHistogram;
  timer: NodeJS.Timeout;
}

/** The process's event-loop delay monitor (one per process), reset every 60 s. */
function monitor(): LagMonitor {
  return processSingleton<LagMonitor>("event-loop-lag", () => {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    const timer = setInterval(() => histogram.reset(), WINDOW_MS);
    timer.unref();
    return { histogram, timer };
  });
}

/**
 * Main-thread event-loop delay p99 in milliseconds over the current window (≤ 60 s),
 * measured by `perf_hooks.monitorEventLoopDelay` at 10 ms resolution. 0 before any sample.
 */
export function eventLoopLagP99Ms(): number {
  const h = monitor().histogram;
  if (h.count === 0) return 0;
  return Math.round((h.percentile(99) / 1e6) * 100) / 100;
}

/** Starts the monitor early (boot) so the first reading has samples. */
export function startEventLoopLagMonitor(): void {
  monitor();
}
