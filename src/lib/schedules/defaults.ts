/**
 * Schedule defaults, in one place: what a schedule gets for a field it leaves out.
 * Read by the service (createSchedule), the schedule sheet (components/schedules/form),
 * the dashboard's "inherit (…)" labels, the collision estimate, and documented in
 * docs/api.md "Schedule defaults" (test/schedule-defaults.test.ts holds the drizzle
 * schema's column defaults and that table to these values).
 *
 * No `server-only`: the browser form imports it. The turn, attempt and catch-up numbers
 * are db/constants.ts's (a leaf the schema also reads), named here with the rest.
 */
import {
  DEFAULT_CATCH_UP_WINDOW_SEC,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_TURNS,
  type CatchUpPolicy,
  type OverlapPolicy,
  type ScheduleStatus,
} from "../db/constants";

export interface ScheduleDefaults {
  /** IANA zone the cron expression is read in when none is given (the form offers the browser's own). */
  timezone: string;
  /** A new schedule is active unless created paused. */
  status: ScheduleStatus;
  /** Turn budget of a task whose schedule leaves maxTurns empty ("inherit"), in agent turns. */
  maxTurns: number;
  /**
   * Lease length per task in seconds; null inherits the global setting
   * (SCHEDULE_MAX_RUN_DURATION_SEC / PATCH /api/settings, default 1200 s).
   */
  maxRunDurationSec: number | null;
  /** Attempts per occurrence: the first run plus retries of infrastructure failures. */
  maxAttempts: number;
  /** What a firing does while the previous task of the schedule still runs (DESIGN.md "Policies"). */
  overlapPolicy: OverlapPolicy;
  /** What happens to occurrences missed while the server was down. */
  catchUpPolicy: CatchUpPolicy;
  /** How old a missed occurrence may be and still be caught up, in seconds. */
  catchUpWindowSec: number;
  /** Firings before the schedule completes; null = unlimited. */
  maxFirings: number | null;
  /** When the schedule expires (UTC ms); null = never. */
  expiresAt: number | null;
}

/** The defaults (API.md `POST /api/schedules` optional fields). */
export const SCHEDULE_DEFAULTS: Readonly<ScheduleDefaults> = Object.freeze({
  timezone: "UTC",
  status: "active",
  maxTurns: DEFAULT_MAX_TURNS,
  maxRunDurationSec: null,
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  overlapPolicy: "skip",
  catchUpPolicy: "latest",
  catchUpWindowSec: DEFAULT_CATCH_UP_WINDOW_SEC,
  maxFirings: null,
  expiresAt: null,
});
