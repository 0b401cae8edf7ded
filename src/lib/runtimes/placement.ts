import "server-only";
import type { RunnerDto, RuntimeDto } from "../api-types";
import type { Db } from "../db/client";
import { listRunners } from "../runners/directory";
import { listRuntimes, serializeRuntime } from "./service";

/** A runtime's pinning (config.runnerLabels, issue 14 item 4): [] = any runner. */
export function requiredLabels(config: Record<string, unknown>): string[] {
  return Array.isArray(config.runnerLabels) ? config.runnerLabels.filter((l): l is string => typeof l === "string") : [];
}

/**
 * True when `runner` may claim tasks of a runtime requiring `labels`: it has every one of
 * them (the same rule as the claim's SQL, queries/slots.ts).
 */
export function runnerCanRun(runner: Pick<RunnerDto, "labels">, labels: readonly string[]): boolean {
  return labels.every((l) => runner.labels.includes(l));
}

/**
 * Every runtime (API shape) with `eligibleRunners`: the LIVE runners (RunnerDto.alive) whose
 * labels include all of the runtime's `runnerLabels`; an empty list means nothing can run its
 * tasks now — they stay queued until such a runner starts. `now`: UTC ms (runner liveness).
 */
export async function listRuntimesWithRunners(db: Db, now: number): Promise<RuntimeDto[]> {
  const [runtimes, runners] = await Promise.all([listRuntimes(db), listRunners(db, now)]);
  const live = runners.filter((r) => r.alive);
  return runtimes.map((r) => {
    const labels = requiredLabels(r.config);
    return {
      ...serializeRuntime(r),
      eligibleRunners: live.filter((runner) => runnerCanRun(runner, labels)).map(({ id, hostname, kind, labels: l }) => ({ id, hostname, kind, labels: l })),
    };
  });
}
