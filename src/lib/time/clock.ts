import { readFileSync } from "node:fs";

/**
 * Time source for scheduler decisions (DESIGN.md invariant 7, ADR 0006 "two clocks").
 * Two readings, never mixed:
 * - `now()` — the wall clock (UTC ms, `Date.now()`): occurrences, and every instant stored
 *   in the DB (display, other runners).
 * - `monotonic()` — ms since an arbitrary origin, never stepped (CLOCK_MONOTONIC via
 *   `performance.now()`); it does not advance while the machine is suspended. Durations
 *   this process measures itself (its leases, the drift check) use it.
 * - `boottime()` — ms since boot INCLUDING suspend (CLOCK_BOOTTIME, `/proc/uptime`), or
 *   null where the platform has none: what tells a suspend (boottime jumps, monotonic
 *   doesn't) from a wall-clock step (neither jumps).
 * Production uses `systemClock`; tests pass a `FakeClock` and move it instead of sleeping.
 */
export interface Clock {
  /** Wall clock: current time in integer UTC milliseconds. */
  now(): number;
  /** Monotonic ms (arbitrary origin; stops during suspend; never steps). */
  monotonic(): number;
  /** Ms since boot including suspend, or null when unknown (non-Linux). */
  boottime(): number | null;
}

let procUptimeReadable = true;
/** CLOCK_BOOTTIME in ms from /proc/uptime (Linux), null elsewhere or when unreadable. */
function readBoottime(): number | null {
  if (!procUptimeReadable) return null;
  try {
    const secs = Number.parseFloat(readFileSync("/proc/uptime", "utf8"));
    if (Number.isFinite(secs)) return Math.round(secs * 1000);
  } catch {
    // not Linux (or no procfs): suspend can't be told from a forward step here
  }
  procUptimeReadable = false;
  return null;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  boottime: readBoottime,
};

/**
 * A clock tests move by hand. `advance`/`set` forward model real time passing (all three
 * readings move); `step` moves the wall clock alone (an NTP step or a person setting the
 * clock); `suspend` moves the wall clock and boottime while monotonic stays frozen
 * (a laptop asleep). `set` to an earlier instant is a backward wall-clock step.
 */
export class FakeClock implements Clock {
  private mono = 1_000_000;
  private boot = 1_000_000;
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  monotonic(): number {
    return this.mono;
  }
  boottime(): number | null {
    return this.boot;
  }
  /** Real time passes: every reading moves forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (ms < 0) throw new Error("FakeClock.advance: time doesn't run backwards (use step)");
    this.ms += ms;
    this.mono += ms;
    this.boot += ms;
  }
  /** Sets the wall time to `ms` (UTC ms): forward = real time passing, backward = a wall-clock step. */
  set(ms: number): void {
    if (ms >= this.ms) this.advance(ms - this.ms);
    else this.step(ms - this.ms);
  }
  /** The wall clock alone jumps by `deltaMs` (signed); monotonic and boottime don't move. */
  step(deltaMs: number): void {
    this.ms += deltaMs;
  }
  /** The machine sleeps `ms`: wall and boottime move, monotonic is frozen. */
  suspend(ms: number): void {
    this.ms += ms;
    this.boot += ms;
  }
}

/** Integer UTC ms → ISO-8601 string, null stays null (API responses). */
export function toIso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}
