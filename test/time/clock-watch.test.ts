import { describe, expect, it } from "vitest";
import { FakeClock, systemClock, type Clock } from "@/lib/time/clock";
import { BOOTTIME_REFRESH_MS, ClockWatch } from "@/lib/time/clock-watch";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const HOUR = 3600_000;

describe("ClockWatch: wall vs monotonic (ADR 0006)", () => {
  it("real time passing is no jump; a step either way is a step; a sleep is a suspend", () => {
    const clock = new FakeClock(T0);
    const watch = new ClockWatch(clock, 2000);
    clock.advance(5 * 60_000);
    expect(watch.check()).toBeNull();
    clock.step(1500); // below the threshold: an NTP-sized correction, not a jump
    expect(watch.check()).toBeNull();

    clock.step(-HOUR);
    expect(watch.check()).toEqual({ stepMs: -HOUR, suspendedMs: 0, wallBefore: T0 + 5 * 60_000 + 1500, wallAfter: T0 + 5 * 60_000 + 1500 - HOUR });
    expect(watch.check()).toBeNull(); // reported once

    clock.advance(10_000);
    clock.step(HOUR);
    expect(watch.check()).toMatchObject({ stepMs: HOUR, suspendedMs: 0 });

    clock.suspend(HOUR);
    expect(watch.check()).toMatchObject({ stepMs: 0, suspendedMs: HOUR });

    clock.suspend(HOUR); // asleep an hour, and NTP sets the clock back 10 min on wake
    clock.step(-10 * 60_000);
    expect(watch.check()).toMatchObject({ stepMs: -10 * 60_000, suspendedMs: HOUR });
  });

  it("reads boottime only at a jump and once a minute, and still tells a sleep from a step", () => {
    const fake = new FakeClock(T0);
    let bootReads = 0;
    const clock: Clock = { now: () => fake.now(), monotonic: () => fake.monotonic(), boottime: () => (bootReads++, fake.boottime()) };
    const watch = new ClockWatch(clock, 2000);
    for (let i = 0; i < 50; i++) {
      fake.advance(1000);
      expect(watch.check()).toBeNull();
    }
    expect(bootReads).toBe(1); // the constructor's
    fake.advance(BOOTTIME_REFRESH_MS);
    expect(watch.check()).toBeNull();
    expect(bootReads).toBe(2);
    fake.advance(1000);
    fake.suspend(HOUR);
    expect(watch.check()).toMatchObject({ stepMs: 0, suspendedMs: HOUR });
    fake.advance(1000);
    fake.step(HOUR);
    expect(watch.check()).toMatchObject({ stepMs: HOUR, suspendedMs: 0 });
    fake.suspend(HOUR);
    fake.step(-10 * 60_000);
    expect(watch.check()).toMatchObject({ stepMs: -10 * 60_000, suspendedMs: HOUR });
  });

  it("without boottime (non-Linux) a forward jump is reported as a step", () => {
    const fake = new FakeClock(T0);
    const clock: Clock = { now: () => fake.now(), monotonic: () => fake.monotonic(), boottime: () => null };
    const watch = new ClockWatch(clock, 2000);
    fake.suspend(HOUR);
    expect(watch.check()).toMatchObject({ stepMs: HOUR, suspendedMs: 0 });
  });

  it("the system clock gives all three readings on Linux and sees no jump in normal running", async () => {
    expect(typeof systemClock.monotonic()).toBe("number");
    if (process.platform === "linux") expect(systemClock.boottime()).toBeGreaterThan(0);
    const watch = new ClockWatch(systemClock, 2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(watch.check()).toBeNull();
  });
});
