import "server-only";
import type { Db } from "../db/client";
import { selectAvgTurnsOnRuntime } from "../db/queries/schedules";
import { getDefaultRuntime } from "../runtimes/service";

/** GET /api/schedules/calibration answer. */
export interface TurnCalibration {
  /** The runtime asked about; null = the default runtime. */
  runtimeId: string | null;
  /** Median of `avgTurnsPerFiring` over the schedules on that runtime (rounded), null when none has fired yet. */
  medianAvgTurns: number | null;
  /** How many schedules with a known average went into the median. */
  sampleSize: number;
}

/** Median of a non-empty list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The calibration hint under "Max turns per run" (issue #5 item 3): the median
 * `avgTurnsPerFiring` of schedules that run on the same runtime. `runtimeId` null means
 * the default runtime, which covers schedules with no runtime (they run on the default
 * at fire time) and schedules that name the current default runtime explicitly.
 * @param excludeScheduleId the schedule being edited, so it doesn't calibrate itself.
 */
export async function turnCalibration(db: Db, runtimeId: string | null, excludeScheduleId?: string): Promise<TurnCalibration> {
  const defaultRuntime = await getDefaultRuntime(db);
  const onDefault = runtimeId === null || runtimeId === defaultRuntime?.id;
  const averages = await selectAvgTurnsOnRuntime(db, onDefault ? { defaultId: defaultRuntime?.id ?? null } : { id: runtimeId }, excludeScheduleId);
  const values = averages.filter((v) => v > 0);
  return {
    runtimeId,
    medianAvgTurns: values.length ? Math.round(median(values)) : null,
    sampleSize: values.length,
  };
}
