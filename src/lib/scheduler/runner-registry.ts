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
export async function registerRunner(db: Db, now: number): Promise<string> {
  const id = `runner_${randomUUID()}`;
  db.insert(runners)
    .values({ id, pid: process.pid, hostname: os.hostname(), hostKey: thisHost(), processStartTime: processStartTime(process.pid), startedAt: now, heartbeatAt: now })
    .run();
  return id;
}

/** Stamps the runner's heartbeat (liveness: a runner that stops heartbeating has its tasks recovered). */
export async function heartbeatRunner(db: Db, runnerId: string, now: number): Promise<void> {
  // Prepared once per connection: every pass and every heartbeat stamps it.
  prepared(db, "UPDATE runners SET heartbeat_at = ? WHERE id = ?").run(now, runnerId);
}

/** Marks a runner stopped (clean shutdown); its running tasks are recovered at the next boot. */
export async function markRunnerStopped(db: Db, runnerId: string, now: number): Promise<void> {
  db.update(runners).set({ stoppedAt: now, heartbeatAt: now }).where(eq(runners.id, runnerId)).run();
}

/** One runner row, or undefined. */
export async function getRunner(db: Db, runnerId: string): Promise<RunnerRow | undefined> {
  return db.select().from(runners).where(eq(runners.id, runnerId)).get();
}
