import "server-only";
import { desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { RunnerRow } from "../schema";
import { run, tablesOf } from "../sql";

/** What a runner says about itself at registration (runners.capacity/kind/labels). */
export interface RunnerProfile {
  /** Most tasks at once on this runner; null = only the global cap. */
  capacity: number | null;
  kind: "web" | "worker";
  labels: string[];
}

/** Stores a registered runner's profile. */
export async function updateRunnerProfile(db: Db, runnerId: string, profile: RunnerProfile): Promise<void> {
  const { runners } = tablesOf(db);
  await run(db, db.update(runners).set({ capacity: profile.capacity, kind: profile.kind, labels: profile.labels }).where(eq(runners.id, runnerId)));
}

/** A runner row with the number of tasks it holds a slot for right now. */
export type RunnerWithLoad = RunnerRow & { running: number };

/**
 * Runners, live ones first (not stopped, newest heartbeat first), then stopped ones by
 * stop time, at most `limit` (a restart registers a new runner: old rows pile up).
 */
export async function selectRunnersWithLoad(db: Db, limit: number): Promise<RunnerWithLoad[]> {
  const { runners, tasks } = tablesOf(db);
  const running = sql<number>`(SELECT count(*) FROM ${tasks} WHERE ${tasks.runnerId} = ${runners.id} AND ${tasks.status} = 'running')`.mapWith(Number);
  return run(
    db,
    db
      .select({ runner: runners, running })
      .from(runners)
      .orderBy(sql`CASE WHEN ${runners.stoppedAt} IS NULL THEN 0 ELSE 1 END`, desc(runners.heartbeatAt))
      .limit(limit),
  ).then((rows) => rows.map((r) => ({ ...r.runner, running: r.running })));
}
