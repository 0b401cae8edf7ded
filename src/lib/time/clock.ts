/**
 * Time source for scheduler decisions (DESIGN.md invariant 7: one clock, integer UTC ms).
 * Production uses `systemClock`; tests pass a `FakeClock` and move it instead of sleeping.
 */
export interface Clock {
  /** Current time in integer UTC milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.ms += ms;
  }
  /** Sets the time to `ms` (UTC milliseconds). */
  set(ms: number): void {
    this.ms = ms;
  }
}

/** Integer UTC ms → ISO-8601 string, null stays null (API responses). */
export function toIso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}
