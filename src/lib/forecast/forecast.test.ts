import { describe, expect, it } from "vitest";
import type { OverlapPolicy } from "../db/constants";
import { nextOccurrence } from "../schedules/cron";
import { buildKernel, expandFiringMinutes, type ForecastScheduleInput } from "./demand";
import { candidateShifts, computeForecast, shiftCron } from "./forecast";

/** The fixed clock: Wednesday 2026-12-02 00:00:30 UTC (the forecast starts at 00:00). */
const NOW = Date.UTC(2026, 11, 2, 0, 0, 30);
const MIN = 60_000;

const sched = (name: string, cronExpression: string, expectedDurationMs: number, overlapPolicy: OverlapPolicy = "skip", extra: Partial<ForecastScheduleInput> = {}): ForecastScheduleInput => ({
  id: `id-${name}`,
  name,
  cronExpression,
  timezone: "UTC",
  overlapPolicy,
  expectedDurationMs,
  ...extra,
});
const at = (hh: number, mm: number) => hh * 60 + mm;
const running = (r: ReturnType<typeof computeForecast>, from: number, to: number) => r.minutes.slice(from, to).map((m) => m.expectedRunning);

describe("forecast demand per minute (fixed clock)", () => {
  it("counts known schedules minute by minute", () => {
    const r = computeForecast({
      now: NOW,
      hours: 24,
      cap: 5,
      schedules: [sched("A", "0 2 * * *", 5 * MIN), sched("B", "*/10 * * * *", 90_000, "allow_all"), sched("C", "30 2 * * *", 30_000)],
    });
    expect(r.from).toBe("2026-12-02T00:00:00.000Z");
    expect(r.minutes).toHaveLength(1440);
    expect(r.minutes[at(2, 0)]).toEqual({ at: "2026-12-02T02:00:00.000Z", expectedRunning: 2 });
    // A: 1 for 02:00–02:04; B: 1 in its firing minute, 0.5 in the next.
    expect(running(r, at(1, 58), at(2, 12))).toEqual([0, 0, 2, 1.5, 1, 1, 1, 0, 0, 0, 0, 0, 1, 0.5]);
    // C: 30 s at 02:30 → 0.5 of that minute, on top of B's 1.
    expect(r.minutes[at(2, 30)].expectedRunning).toBe(1.5);
    expect(r.overloads).toEqual([]);
    expect(r.firings).toEqual([1, 144, 1]);
  });

  it("handles a per-second schedule analytically: 60 firings per minute, no per-second loop", () => {
    const e = expandFiringMinutes("* * * * * *", "UTC", Date.UTC(2026, 11, 2), Date.UTC(2026, 11, 2), Date.UTC(2026, 11, 9));
    expect(e!.firingMinutes).toHaveLength(7 * 1440); // one entry per minute, not per second
    expect(e!.perMinute).toBe(60);
    const r = computeForecast({
      now: NOW,
      hours: 168,
      cap: 100,
      schedules: [sched("fast", "* * * * * *", 500, "allow_all"), sched("slow", "* * * * * *", 30_000, "allow_all"), sched("serial", "* * * * * *", 30_000, "skip")],
    });
    expect(r.firings).toEqual([604_800, 604_800, 604_800]);
    // 0.5 s × 60 per minute = 0.5 running; 30 s × 60 = 30 running (allow_all) in steady state; skip caps its own at 1.
    const steady = r.minutes[600].expectedRunning;
    expect(steady).toBe(31.5);
    // In the first minute the slow one's earlier firings (before the window) are still running: same value.
    expect(r.minutes[0].expectedRunning).toBe(31.5);
  });

  it("kernel: a firing's run spread over the minutes it covers", () => {
    const values = (k: ReturnType<typeof buildKernel>) =>
      Array.from({ length: k.length }, (_, j) => (j >= k.runFrom && j <= k.runTo ? k.runValue : (k.edges.find(([e]) => e === j)?.[1] ?? 0)));
    expect(values(buildKernel([0], 90_000))).toEqual([1, 0.5, 0]);
    expect(values(buildKernel([0, 30], 60_000))).toEqual([1.5, 0.5]); // 0 s: all of minute 0; 30 s: half of 0, half of 1
    expect(values(buildKernel([0], 10 * MIN))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it("reads the cron in its own timezone", () => {
    const r = computeForecast({ now: NOW, hours: 24, cap: 5, schedules: [sched("Paris", "0 9 * * *", MIN, "skip", { timezone: "Europe/Paris" })] });
    const busy = r.minutes.filter((m) => m.expectedRunning > 0).map((m) => m.at);
    expect(busy).toEqual(["2026-12-02T08:00:00.000Z"]);
  });

  it("honours nextFireAt (skip-next), expiresAt, maxFirings, createdAt and the day fields", () => {
    const hourly = "0 * * * *";
    const r = computeForecast({
      now: NOW,
      hours: 24,
      cap: 50,
      schedules: [
        sched("next", hourly, MIN, "skip", { nextFireAt: Date.UTC(2026, 11, 2, 5) }),
        sched("expires", hourly, MIN, "skip", { expiresAt: Date.UTC(2026, 11, 2, 3) }),
        sched("limited", hourly, MIN, "skip", { remainingFirings: 2 }),
        sched("weekend", "0 12 * * 0,6", MIN), // Wednesday: nothing
        sched("tomorrow", "0 12 3 12 *", MIN),
      ],
    });
    expect(r.firings).toEqual([19, 3, 2, 0, 0]);
    const lookback = computeForecast({ now: Date.UTC(2026, 11, 2, 1, 0, 0), hours: 1, cap: 5, schedules: [sched("long", "0 0 * * *", 2 * 3600_000), sched("new", "0 0 * * *", 2 * 3600_000, "skip", { createdAt: Date.UTC(2026, 11, 2, 0, 30) })] });
    // The run that started at 00:00 is still going from 01:00; the schedule created at 00:30 never fired.
    expect(lookback.minutes.every((m) => m.expectedRunning === 1)).toBe(true);
    expect(lookback.firings).toEqual([0, 0]);
  });

  it("ignores a schedule whose expression or timezone can't be read", () => {
    const r = computeForecast({ now: NOW, hours: 1, cap: 1, schedules: [sched("bad", "not a cron", MIN), sched("tz", "* * * * *", MIN, "skip", { timezone: "Mars/Olympus" })] });
    expect(r.minutes.every((m) => m.expectedRunning === 0)).toBe(true);
  });
});

describe("overloads, queueing delay and the stagger that removes them", () => {
  it("three 5-minute runs at 02:00 against a cap of 2: overload, delay, and a +5 min stagger", () => {
    const r = computeForecast({ now: NOW, hours: 24, cap: 2, schedules: [sched("A", "0 2 * * *", 5 * MIN), sched("B", "0 2 * * *", 5 * MIN), sched("C", "0 2 * * *", 5 * MIN)] });
    expect(r.overloads).toHaveLength(1);
    const [o] = r.overloads;
    expect(o).toMatchObject({
      from: "2026-12-02T02:00:00.000Z",
      to: "2026-12-02T02:05:00.000Z",
      expectedRunning: 3,
      scheduleIds: ["id-A", "id-B", "id-C"],
      pool: "global",
      // 1 slot-minute of excess a minute for 5 minutes, 2 slots: 2.5 minutes of queue.
      expectedDelaySec: 150,
      // The backlog of 5 drains 2 a minute: 3, 1, 0 → empty at 02:07.
      drainedAt: "2026-12-02T02:07:00.000Z",
      stagger: [{ scheduleId: "id-A", scheduleName: "A", shiftMinutes: 5, cronExpression: "5 2 * * *" }],
    });
    expect(o.suggestion).toBe("Stagger “A” by +5 min (cron “5 2 * * *”) to remove this overload.");

    // Applying the suggestion removes the overload.
    const after = computeForecast({ now: NOW, hours: 24, cap: 2, schedules: [sched("A", o.stagger[0].cronExpression, 5 * MIN), sched("B", "0 2 * * *", 5 * MIN), sched("C", "0 2 * * *", 5 * MIN)] });
    expect(after.overloads).toEqual([]);
  });

  it("does not suggest a stagger that moves the overload elsewhere", () => {
    // D runs 02:05–02:35 with E: A moved to 02:05+ would collide with them, so A goes earlier… it can't (minute 0), so B/C must move within the gap.
    const r = computeForecast({
      now: NOW,
      hours: 24,
      cap: 2,
      schedules: [sched("A", "0 2 * * *", 5 * MIN), sched("B", "0 2 * * *", 5 * MIN), sched("C", "0 2 * * *", 5 * MIN), sched("D", "5 2 * * *", 30 * MIN), sched("E", "5 2 * * *", 30 * MIN)],
    });
    const o = r.overloads.find((x) => x.from === "2026-12-02T02:00:00.000Z")!;
    expect(o.stagger).toEqual([]);
    expect(o.suggestion).toMatch(/^No stagger of up to 3 schedules by up to 30 min removes this: 3 expected against a cap of 2\. Raise the cap/);
  });

  it("a per-second schedule that keeps 2 running against a cap of 1: one overload over the horizon, no stagger possible", () => {
    const r = computeForecast({ now: NOW, hours: 2, cap: 1, schedules: [sched("sec", "0,30 * * * * *", MIN, "allow_all")] });
    expect(r.minutes.every((m) => m.expectedRunning === 2)).toBe(true);
    expect(r.overloads).toHaveLength(1);
    expect(r.overloads[0]).toMatchObject({ from: "2026-12-02T00:00:00.000Z", to: "2026-12-02T02:00:00.000Z", expectedRunning: 2, stagger: [], drainedAt: null, expectedDelaySec: 120 * 60 });
    expect(r.overloads[0].suggestion).toMatch(/Raise the cap \(Settings → max concurrent\) to 2/);
  });

  it("shifts only what is an exact time shift", () => {
    expect(candidateShifts("0 2 * * *").slice(0, 3)).toEqual([1, 2, 3]); // no earlier than :00 without an hourly field
    expect(candidateShifts("30 2 * * *").slice(0, 4)).toEqual([1, -1, 2, -2]);
    expect(candidateShifts("*/15 * * * *")).toHaveLength(28); // ±1…14 (wraps: every hour)
    expect(candidateShifts("* * * * *")).toEqual([]);
    expect(shiftCron("*/15 * * * *", 5)).toBe("5,20,35,50 * * * *");
    expect(shiftCron("0 0 2 * * *", 7)).toBe("0 7 2 * * *");
    expect(shiftCron("50 * * * *", 20)).toBe("10 * * * *");
    // The shifted expression's occurrences are the original's plus k minutes.
    const t = Date.UTC(2026, 11, 2);
    expect(nextOccurrence(shiftCron("*/15 * * * *", 5), "UTC", t + 5 * MIN)! - nextOccurrence("*/15 * * * *", "UTC", t)!).toBe(5 * MIN);
  });

  it("checks a concurrency-group pool with the same code", () => {
    const r = computeForecast({ now: NOW, hours: 24, cap: 10, schedules: [sched("A", "0 2 * * *", 5 * MIN), sched("B", "0 2 * * *", 5 * MIN), sched("C", "0 2 * * *", 5 * MIN)], pools: [{ key: "repo-foo", cap: 1, members: [0, 1] }] });
    expect(r.overloads).toHaveLength(1);
    expect(r.overloads[0]).toMatchObject({ pool: "repo-foo", expectedRunning: 2, scheduleIds: ["id-A", "id-B"], stagger: [{ scheduleId: "id-A", shiftMinutes: 5 }] });
  });
});

describe("forecast with calendar controls (issue 12 gap: windows, exclusions, pause-until, jitter)", () => {
  const one = (s: ForecastScheduleInput) => computeForecast({ now: NOW, hours: 24, cap: 5, schedules: [s] });
  it("an excluded date has no firing; a window skip drops firings outside it; a defer moves them to the window start", () => {
    expect(one(sched("X", "0 2 * * *", 5 * MIN, "skip", { excludeDates: ["2026-12-02"] })).firings).toEqual([0]);
    // Hourly, window Wednesday 09:00–12:00 (skip): 09:00, 10:00, 11:00 only.
    const w = { days: [3], start: "09:00", end: "12:00" };
    const skipped = one(sched("W", "0 * * * *", MIN, "skip", { activeWindow: { ...w, policy: "skip" } }));
    expect(skipped.firings).toEqual([3]);
    expect(running(skipped, at(8, 0), at(12, 1))).toEqual([0, ...Array(59).fill(0), 1, ...Array(59).fill(0), 1, ...Array(59).fill(0), 1, ...Array(59).fill(0), 0].slice(0, 241));
    // Defer: 00:00–08:00 and 12:00–23:00 all land on the next window start; today's is 09:00 (later ones fall outside the 24 h).
    const deferred = one(sched("D", "0 2 * * *", MIN, "skip", { activeWindow: { ...w, policy: "defer" } }));
    expect(running(deferred, at(2, 0), at(2, 1))).toEqual([0]);
    expect(running(deferred, at(9, 0), at(9, 1))).toEqual([1]);
  });

  it("a paused-until schedule fires only after it resumes", () => {
    const r = one(sched("P", "0 * * * *", MIN, "skip", { pausedUntil: Date.UTC(2026, 11, 2, 6, 30) }));
    expect(running(r, at(6, 0), at(6, 1))).toEqual([0]);
    expect(running(r, at(7, 0), at(7, 1))).toEqual([1]);
  });

  it("jitter spreads each start over its bound: same total, lower peak", () => {
    const plain = one(sched("J", "0 2 * * *", 2 * MIN));
    const jittered = one(sched("J", "0 2 * * *", 2 * MIN, "skip", { jitterSec: 600 }));
    const total = (r: ReturnType<typeof computeForecast>) => r.minutes.reduce((a, m) => a + m.expectedRunning, 0);
    expect(total(jittered)).toBeCloseTo(total(plain), 1); // minutes are rounded to 0.01
    expect(Math.max(...running(jittered, at(2, 0), at(2, 15)))).toBeLessThan(0.5);
    expect(running(jittered, at(2, 12), at(2, 14)).every((v) => v === 0)).toBe(true); // nothing past 02:00 + 10 min + 2 min
  });
});
