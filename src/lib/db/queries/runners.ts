import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../client";
import { prepared, sqliteCall } from "../prepared";
import type { RunnerRow } from "../schema";
import { first, run, tablesOf } from "../sql";

/** A runner row to insert (times UTC ms). */
export type NewRunner = Pick<RunnerRow, "id" | "pid" | "hostname" | "hostKey" | "processStartTime" | "startedAt" | "heartbeatAt">;

/** Inserts a runner row. */
export async function insertRunner(db: Db, row: NewRunner): Promise<void> {
  const { runners } = tablesOf(db);
  await run(db, db.insert(runners).values(row));
}

/** Stamps a runner's heartbeat (UTC ms). SQLite: prepared once per connection (every pass stamps it). */
export async function updateRunnerHeartbeat(db: Db, runnerId: string, now: number): Promise<void> {
  if (db.$dialect === "sqlite") {
    await sqliteCall(db, () => prepared(db, "UPDATE runners SET heartbeat_at = ? WHERE id = ?").run(now, runnerId));
    return;
  }
  const { runners } = tablesOf(db);
  await run(db, db.update(runners).set({ heartbeatAt: now }).where(eq(runners.id, runnerId)));
}

/** Marks a runner stopped (UTC ms; its heartbeat too). */
export async function updateRunnerStopped(db: Db, runnerId: string, now: number): Promise<void> {
  const { runners } = tablesOf(db);
  await run(db, db.update(runners).set({ stoppedAt: now, heartbeatAt: now }).where(eq(runners.id, runnerId)));
}

/** One runner row, or undefined. */
export async function selectRunner(db: Db, runnerId: string): Promise<RunnerRow | undefined> {
  const { runners } = tablesOf(db);
  return first(db, db.select().from(runners).where(eq(runners.id, runnerId)).limit(1));
}
