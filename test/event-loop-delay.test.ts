import { describe, expect, it } from "vitest";
import { GET as schedulerStatusRoute } from "@/app/api/scheduler/status/route";
import { LoopDelayWindow } from "@/lib/metrics/event-loop-delay";
import { lagP99Ms, startLagMonitor } from "@/lib/scheduler/firing-metrics";
import { callRoute } from "./http";

describe("event-loop delay window (GET /api/scheduler/status eventLoopDelay)", () => {
  it("summarizes the samples of the last window: p50, p99, max, count, covered seconds", () => {
    const w = new LoopDelayWindow(60_000, 7_000, 0);
    // 100 samples at t = 1..100 s: delays 1..100 ms.
    for (let i = 1; i <= 100; i++) w.record(i, i * 1000);
    // At t = 100 s the window (40 s, 100 s] holds delays 41..100.
    expect(w.summary(100_000)).toEqual({ windowSec: 60, samples: 60, p50Ms: 70, p99Ms: 100, maxMs: 100 });
    // Later samples leave the window; nothing recorded → zeros, not NaN.
    expect(w.summary(200_001)).toEqual({ windowSec: 60, samples: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it("covers only the time since it started, clamps negative delays, and overwrites the oldest when full", () => {
    const young = new LoopDelayWindow(60_000, 100, 1_000);
    young.record(-0.4, 1_500); // a tick slightly early: no delay
    young.record(2.346, 2_000);
    expect(young.summary(6_000)).toEqual({ windowSec: 5, samples: 2, p50Ms: 0, p99Ms: 2.35, maxMs: 2.35 });

    const small = new LoopDelayWindow(60_000, 3, 0);
    for (const [d, t] of [[500, 1], [1, 2], [2, 3], [3, 4]]) small.record(d, t);
    expect(small.summary(10)).toMatchObject({ samples: 3, maxMs: 3 }); // the 500 ms stall was overwritten
  });

  it("the status route reports the server's own loop: a 150 ms stall shows as a max ≥ 100 ms", async () => {
    const first = await callRoute(schedulerStatusRoute, "/api/scheduler/status");
    expect(first.status).toBe(200);
    expect(Object.keys(first.data.eventLoopDelay).sort()).toEqual(["maxMs", "p50Ms", "p99Ms", "samples", "windowSec"]);
    await new Promise((r) => setTimeout(r, 100)); // a few ticks on a free loop
    const spinUntil = Date.now() + 150;
    while (Date.now() < spinUntil); // block the event loop
    await new Promise((r) => setTimeout(r, 50)); // the tick after the stall records it
    const { data } = await callRoute(schedulerStatusRoute, "/api/scheduler/status");
    const d = data.eventLoopDelay;
    expect(d.samples).toBeGreaterThan(2);
    expect(d.windowSec).toBeGreaterThan(0);
    expect(d.windowSec).toBeLessThanOrEqual(60);
    expect(d.maxMs).toBeGreaterThanOrEqual(100);
    expect(d.p50Ms).toBeLessThanOrEqual(d.p99Ms);
    expect(d.p99Ms).toBeLessThanOrEqual(d.maxMs);
  });

  it("a run's lag is read from the same monitor from its start: only its own samples, 10 ms interval included", async () => {
    const w = new LoopDelayWindow(60_000, 1_000, 0);
    for (let t = 1; t <= 50; t++) w.record(t === 10 ? 400 : 1, t * 10);
    expect(w.percentileSince(99, 0, 500)).toBe(400); // the stall at t = 100 counts
    expect(w.percentileSince(99, 100, 500)).toBe(1); // a run started after it doesn't see it
    expect(w.percentileSince(99, 500, 600)).toBeNull(); // no tick yet: no value, not 0

    const before = startLagMonitor();
    await new Promise((r) => setTimeout(r, 50));
    const spinUntil = Date.now() + 120;
    while (Date.now() < spinUntil); // block the event loop during the "run"
    await new Promise((r) => setTimeout(r, 40));
    const after = startLagMonitor(); // a run that starts once the stall is over
    await new Promise((r) => setTimeout(r, 40));
    expect(lagP99Ms(before)).toBeGreaterThanOrEqual(100);
    expect(lagP99Ms(after)).toBeLessThan(100);
    expect(lagP99Ms(after)).toBeGreaterThanOrEqual(10); // the interval is included, as monitorEventLoopDelay's values were
    expect(lagP99Ms(null)).toBe(0);
  });
});
