/**
 * GET /api/forecast response shapes (API.md v2 "Triggers and calendar": `{cap, minutes:
 * [{at, expectedRunning}], overloads: [{from, to, expectedRunning, scheduleIds,
 * suggestion}]}`; the other fields are this module's additions). A leaf: the dashboard
 * imports it too. Timestamps are ISO-8601 UTC strings.
 */

/** One schedule moved by a stagger: its minute field shifted by `shiftMinutes` (negative = earlier). */
export interface StaggerMove {
  scheduleId: string;
  scheduleName: string;
  shiftMinutes: number;
  /** The schedule's cron expression with the shifted minute field. */
  cronExpression: string;
}

/** A run of consecutive minutes whose expected running tasks exceed the cap. */
export interface ForecastOverload {
  /** Start of the first overloaded minute. */
  from: string;
  /** End of the last overloaded minute (exclusive). */
  to: string;
  /** Peak expected running tasks over the range (per-minute average, 2 decimals). */
  expectedRunning: number;
  /** Schedules running in the range, biggest share first. */
  scheduleIds: string[];
  /** One sentence: the stagger that removes the overload, or why none does. */
  suggestion: string;
  /** The moves of `suggestion`; empty when no stagger of up to 3 schedules removes it. */
  stagger: StaggerMove[];
  /** Expected queueing delay (s) of a task starting at the range's end (fluid queue model). */
  expectedDelaySec: number;
  /** When the queue built by this overload is expected to be empty again, or null past the horizon. */
  drainedAt: string | null;
  /** Which cap is exceeded: "global" (maxConcurrent); concurrency groups add theirs. */
  pool: string;
}

/** What the forecast assumed of one active schedule. */
export interface ForecastScheduleInfo {
  id: string;
  name: string;
  /** Expected run time of one firing (ms). */
  expectedDurationMs: number;
  /** `history`: mean of its last 20 firings; `default`: no history yet (FORECAST_DEFAULT_DURATION_MS, bounded by the lease). */
  durationSource: "history" | "default";
  /** Firings expected within the horizon. */
  firings: number;
}

export interface ForecastDto {
  /** The global cap (maxConcurrent). */
  cap: number;
  /** Start of the first minute (the current minute) and the horizon. */
  from: string;
  hours: number;
  /** One entry per minute of the horizon: the expected number of running tasks (time-weighted average over the minute, 2 decimals). */
  minutes: { at: string; expectedRunning: number }[];
  overloads: ForecastOverload[];
  schedules: ForecastScheduleInfo[];
}
