import "server-only";
import { randomUUID } from "node:crypto";
import os from "node:os";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { runners, type RunnerRow } from "../db/schema";
import { processStartTime, thisHost } from "../runtimes/process-table";
import { prepared } from "./statements";

/**
 * Registers this process as a runner (DESIGN.md "runner": one server process, a row
 * with pid, hostname and heartbeat), with its host key and process start stamp so a
 * runner on the same host can tell at once when this process is gone
 * (runner-liveness.ts). Returns the new runner id.
 * @param now UTC ms.
 */
export function registerRunner(db: Db, now: number): string {
  const id = `runner_${randomUUID()}`;
  db.insert(runners)
    .values({ id, pid: process.pid, hostname: os.hostname(), hostKey: thisHost(), processStartTime: processStartTime(process.pid), startedAt: now, heartbeatAt: now })
    .run();
  return id;
}

/** Stamps the runner's heartbeat (liveness: a runner that stops heartbeating has its tasks recovered). */
export function heartbeatRunner(db: Db, runnerId: string, now: number): void {
  // Prepared once per connection: every pass and every heartbeat stamps it.
  prepared(db, "UPDATE runners SET heartbeat_at = ? WHERE id = ?").run(now, runnerId);
}

/** Marks a runner stopped (clean shutdown); its running tasks are recovered at the next boot. */
export function markRunnerStopped(db: Db, runnerId: string, now: number): void {
  db.update(runners).set({ stoppedAt: now, heartbeatAt: now }).where(eq(runners.id, runnerId)).run();
}

/** One runner row, or undefined. */
export function getRunner(db: Db, runnerId: string): RunnerRow | undefined {
  return db.select().from(runners).where(eq(runners.id, runnerId)).get();
}
