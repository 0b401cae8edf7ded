import "server-only";
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Db } from "../db/client";
import type { RunnerRow } from "../db/schema";
import { insertRunner, selectRunner, updateRunnerHeartbeat, updateRunnerStopped } from "../db/queries/runners";
import { processStartTime, thisHost } from "../runtimes/process-table";

/**
 * Registers this process as a runner (DESIGN.md "runner": one server process, a row
 * with pid, hostname and heartbeat), with its host key and process start stamp so a
 * runner on the same host can tell at once when this process is gone
 * (runner-liveness.ts). Returns the new runner id.
 * @param now UTC ms.
 */
export async function registerRunner(db: Db, now: number): Promise<string> {
  const id = `runner_${randomUUID()}`;
  await insertRunner(db, { id, pid: process.pid, hostname: os.hostname(), hostKey: thisHost(), processStartTime: processStartTime(process.pid), startedAt: now, heartbeatAt: now });
  return id;
}

/** Stamps the runner's heartbeat (liveness: a runner that stops heartbeating has its tasks recovered). */
export async function heartbeatRunner(db: Db, runnerId: string, now: number): Promise<void> {
  await updateRunnerHeartbeat(db, runnerId, now);
}

/** Marks a runner stopped (clean shutdown); its running tasks are recovered at the next boot. */
export async function markRunnerStopped(db: Db, runnerId: string, now: number): Promise<void> {
  await updateRunnerStopped(db, runnerId, now);
}

/** One runner row, or undefined. */
export async function getRunner(db: Db, runnerId: string): Promise<RunnerRow | undefined> {
  return selectRunner(db, runnerId);
}
