import "server-only";
import { getSettings } from "../config/settings";
import { env } from "../env";
import type { Db } from "../db/client";
import { selectRunnersWithLoad, updateRunnerProfile, type RunnerProfile } from "../db/queries/runner-directory";
import { toIso } from "../time/clock";
import type { RunnerDto } from "../api-types";
import { RUNNER_STALE_MS } from "../scheduler/tuning";

/** How many runner rows the directory lists (live ones first). */
export const RUNNER_LIST_LIMIT = 100;

/**
 * The runners that share this database (every web instance and worker), live ones first.
 * `now`: UTC ms, to judge liveness by heartbeat age (RUNNER_STALE_MS).
 */
export async function listRunners(db: Db, now: number): Promise<RunnerDto[]> {
  const [rows, settings] = await Promise.all([selectRunnersWithLoad(db, RUNNER_LIST_LIMIT), getSettings(db)]);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind === "worker" ? "worker" : "web",
    hostname: r.hostname,
    pid: r.pid,
    capacity: r.capacity ?? settings.maxConcurrent,
    running: r.running,
    labels: r.labels,
    heartbeatAt: new Date(r.heartbeatAt).toISOString(),
    stoppedAt: r.stoppedAt == null ? null : toIso(r.stoppedAt),
    alive: r.stoppedAt == null && now - r.heartbeatAt < RUNNER_STALE_MS,
  }));
}

/**
 * This process's runner profile from the validated environment (env.ts):
 * `AGENTCRON_RUNNER_CAPACITY` (unset = only the global cap) and `AGENTCRON_RUNNER_LABELS`.
 */
export function runnerProfileFromEnv(kind: RunnerProfile["kind"]): RunnerProfile {
  const e = env();
  return { capacity: e.AGENTCRON_RUNNER_CAPACITY ?? null, kind, labels: [...e.AGENTCRON_RUNNER_LABELS] };
}

/** Records this runner's profile on its row. */
export async function recordRunnerProfile(db: Db, runnerId: string, profile: RunnerProfile): Promise<void> {
  await updateRunnerProfile(db, runnerId, profile);
}
