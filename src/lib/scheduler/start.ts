import "server-only";
import { setSchedulerHandle } from "./control";
import { SchedulerLoop, type SchedulerLoopOptions } from "./loop";

export type SchedulerOptions = SchedulerLoopOptions;

/**
 * Starts this process's scheduler loop and installs it as the process's one scheduler
 * handle (control.ts: pokes, shutdown, and through getSchedulerLoop Run now / cancel). The first pass runs
 * before this resolves: orphans of dead runners are recovered, due occurrences planned
 * and queued tasks drained at boot (invariant 9), so /api/health turns ready only with
 * an armed scheduler.
 */
export async function startScheduler(opts: SchedulerOptions): Promise<SchedulerLoop> {
  const loop = new SchedulerLoop(opts);
  setSchedulerHandle(loop);
  await loop.start();
  return loop;
}
