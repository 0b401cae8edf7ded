import "server-only";
import { and, asc, count, eq, isNotNull, isNull, ne, or, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import type { ScheduleRow } from "../schema";
import { first, run, tablesOf } from "../sql";

/*
 * Schedule rows as the schedules service, collision warnings and turn calibration read
 * and write them (CRUD, list). Planning's reads and writes (nextFireAt, firingCount,
 * missed counts) live with the planner, not here.
 */

/** Every schedule, oldest first (createdAt, UTC ms). */
export async function selectSchedules(db: Db): Promise<ScheduleRow[]> {
  const { schedules } = tablesOf(db);
  return run(db, db.select().from(schedules).orderBy(asc(schedules.createdAt), asc(schedules.id)));
}

/** One schedule, or undefined. */
export async function selectSchedule(db: Db, id: string): Promise<ScheduleRow | undefined> {
  const { schedules } = tablesOf(db);
  return first(db, db.select().from(schedules).where(eq(schedules.id, id)).limit(1));
}

/** Inserts a complete schedule row. */
export async function insertSchedule(db: Db, row: ScheduleRow): Promise<void> {
  const { schedules } = tablesOf(db);
  await run(db, db.insert(schedules).values(row));
}

/** Overwrites a schedule row with `row` (every column but the id). */
export async function updateScheduleRow(db: Db, id: string, row: ScheduleRow): Promise<void> {
  const { schedules } = tablesOf(db);
  const { id: _id, ...rest } = row;
  await run(db, db.update(schedules).set(rest).where(eq(schedules.id, id)));
}

/** Deletes one schedule row (its tasks stay, under its id). */
export async function deleteScheduleRow(db: Db, id: string): Promise<void> {
  const { schedules } = tablesOf(db);
  await run(db, db.delete(schedules).where(eq(schedules.id, id)));
}

/** What collision warnings need of another schedule. */
export type CollisionCandidate = { cronExpression: string } & Pick<ScheduleRow, "id" | "name" | "timezone" | "avgTurnsPerFiring" | "maxTurns" | "concurrencyGroup">;

/** Every active schedule with a cron but `exceptId` (collision warnings compare against them; a chained-only schedule has no cron firings, ADR 0024). */
export async function selectActiveSchedulesExcept(db: Db, exceptId: string): Promise<CollisionCandidate[]> {
  const { schedules } = tablesOf(db);
  return run(
    db,
    db
      .select({
        id: schedules.id,
        name: schedules.name,
        cronExpression: schedules.cronExpression,
        timezone: schedules.timezone,
        avgTurnsPerFiring: schedules.avgTurnsPerFiring,
        maxTurns: schedules.maxTurns,
        concurrencyGroup: schedules.concurrencyGroup,
      })
      .from(schedules)
      .where(and(eq(schedules.status, "active"), ne(schedules.id, exceptId), isNotNull(schedules.cronExpression))),
  ) as Promise<CollisionCandidate[]>;
}

/**
 * Known `avgTurnsPerFiring` values of the schedules on one runtime (turn calibration).
 * `runtime`: `{ id }` for schedules naming that runtime; `{ defaultId }` for schedules
 * relying on the default (`runtimeId` null) or naming the default `defaultId` (null when
 * no default exists). `excludeScheduleId` leaves one schedule out.
 */
export async function selectAvgTurnsOnRuntime(
  db: Db,
  runtime: { id: string } | { defaultId: string | null },
  excludeScheduleId?: string,
): Promise<number[]> {
  const { schedules } = tablesOf(db);
  let sameRuntime: SQL | undefined;
  if ("id" in runtime) sameRuntime = eq(schedules.runtimeId, runtime.id);
  else sameRuntime = runtime.defaultId ? or(isNull(schedules.runtimeId), eq(schedules.runtimeId, runtime.defaultId)) : isNull(schedules.runtimeId);
  const found = await run(
    db,
    db
      .select({ avg: schedules.avgTurnsPerFiring })
      .from(schedules)
      .where(and(sameRuntime, isNotNull(schedules.avgTurnsPerFiring), excludeScheduleId ? ne(schedules.id, excludeScheduleId) : undefined)),
  );
  return found.map((r) => r.avg!);
}

/** How many schedules name runtime `runtimeId`. */
export async function countSchedulesNamingRuntime(db: Db, runtimeId: string): Promise<number> {
  const { schedules } = tablesOf(db);
  return (await first(db, db.select({ n: count() }).from(schedules).where(eq(schedules.runtimeId, runtimeId)).limit(1)))?.n ?? 0;
}

/** How many schedules rely on the default runtime (`runtimeId` null). */
export async function countSchedulesOnDefaultRuntime(db: Db): Promise<number> {
  const { schedules } = tablesOf(db);
  return (await first(db, db.select({ n: count() }).from(schedules).where(isNull(schedules.runtimeId)).limit(1)))?.n ?? 0;
}
