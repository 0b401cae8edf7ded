import "server-only";
import type { Db } from "../db/client";
import type { Clock } from "../time/clock";
import { setSchedulerHandle, type SchedulerHandle } from "./control";

export interface SchedulerOptions {
  db: Db;
  clock: Clock;
  runnerId: string;
}

/**
 * Starts this process's scheduler loop and installs its handle.
 * The loop itself arrives with the scheduler-core issue (#3); until then the handle
 * accepts pokes and stops cleanly.
 */
export async function startScheduler(_opts: SchedulerOptions): Promise<SchedulerHandle> {
  const handle: SchedulerHandle = {
    poke: () => {},
    stop: async () => setSchedulerHandle(null),
  };
  setSchedulerHandle(handle);
  return handle;
}
