import "server-only";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { selectGroupCaps } from "../db/queries/concurrency-groups";
import { selectForecastSchedules, selectRecentAvgDurations } from "../db/queries/forecast";
import { computeForecast, type CapacityPool } from "./forecast";
import type { ForecastDto } from "./types";

/** Expected run time of a schedule without history: 5 minutes, bounded by its lease. */
export const FORECAST_DEFAULT_DURATION_MS = 5 * 60_000;
/** How many recent firings make a schedule's expected duration, and how far back they may be. */
export const FORECAST_HISTORY_FIRINGS = 20;
export const FORECAST_HISTORY_WINDOW_MS = 30 * 86_400_000;

/**
 * GET /api/forecast: the next `hours` (1–168, validated by the route) of every active
 * schedule against the global cap (maxConcurrent). A schedule's expected duration is the
 * mean of its last FORECAST_HISTORY_FIRINGS firings within FORECAST_HISTORY_WINDOW_MS
 * (`durationSource: "history"`), else FORECAST_DEFAULT_DURATION_MS (`"default"`), both
 * bounded by its lease (maxRunDurationSec, else the setting) — the reaper ends a run
 * there — and at least 1 s. Each concurrency group with a cap of its own (issue 12 item 4)
 * is one more pool: its member schedules' demand against its `maxConcurrent`, overloads
 * tagged `pool: <group name>`. Four statements in all (settings, schedules, durations, group caps).
 * @param now UTC ms (the scheduler's clock).
 */
export async function getForecast(db: Db, now: number, hours: number): Promise<ForecastDto> {
  const settings = await getSettings(db);
  const rows = await selectForecastSchedules(db);
  const averages = await selectRecentAvgDurations(db, FORECAST_HISTORY_FIRINGS, now - FORECAST_HISTORY_WINDOW_MS);
  const schedules = rows.map((r) => {
    const leaseMs = (r.maxRunDurationSec ?? settings.maxRunDurationSec) * 1000;
    const avg = averages.get(r.id);
    return {
      ...r,
      expectedDurationMs: Math.max(1000, Math.min(leaseMs, avg ?? FORECAST_DEFAULT_DURATION_MS)),
      durationSource: avg != null ? ("history" as const) : ("default" as const),
      remainingFirings: r.maxFirings != null ? Math.max(0, r.maxFirings - r.firingCount) : null,
    };
  });
  const result = computeForecast({ now, hours, cap: settings.maxConcurrent, schedules, pools: groupPools(rows, await selectGroupCaps(db)) });
  return {
    cap: result.cap,
    from: result.from,
    hours: result.hours,
    minutes: result.minutes,
    overloads: result.overloads,
    schedules: schedules.map((s, i) => ({
      id: s.id,
      name: s.name,
      expectedDurationMs: Math.round(s.expectedDurationMs),
      durationSource: s.durationSource,
      firings: result.firings[i],
    })),
  };
}

/** One pool per capped concurrency group that at least one active schedule names (members: indexes into `rows`). */
function groupPools(rows: { concurrencyGroup: string | null }[], caps: { name: string; maxConcurrent: number }[]): CapacityPool[] {
  const members = new Map<string, number[]>();
  rows.forEach((r, i) => {
    if (r.concurrencyGroup) members.set(r.concurrencyGroup, [...(members.get(r.concurrencyGroup) ?? []), i]);
  });
  return caps.filter((c) => members.has(c.name)).map((c) => ({ key: c.name, cap: c.maxConcurrent, members: members.get(c.name)! }));
}
