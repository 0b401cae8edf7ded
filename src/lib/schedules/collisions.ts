import "server-only";
import type { Db } from "../db/client";
import type { ScheduleRow } from "../db/schema";

/** API.md `CollisionWarning`. */
export interface CollisionWarning {
  type: "cron_collision";
  overlappingSchedules: string[];
  overlappingMinutes: number[];
  estimatedConcurrentSteps: number;
}

/**
 * Collision warnings for a saved schedule (API.md `warnings`). The 24 h bucket
 * analysis is built with the dashboard issue (#5); until then no warnings are computed.
 */
export function computeCollisionWarnings(_db: Db, _schedule: ScheduleRow): CollisionWarning[] {
  return [];
}
