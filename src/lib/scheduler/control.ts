import "server-only";
import { processSingleton } from "../process-singleton";

/**
 * The process's scheduler handle, shared by the boot hook (which starts it) and route
 * handlers (which poke it after a change). Lives on globalThis: instrumentation and
 * routes are separate bundles (see process-singleton.ts).
 */
export interface SchedulerHandle {
  /** Wakes the loop now (schedule saved, task finished, chat stream ended …). */
  poke(reason: string): void;
  /** Stops timers and heartbeats; running tasks are left to recovery by the next runner. */
  stop(): Promise<void>;
}

interface SchedulerSlot {
  handle: SchedulerHandle | null;
}

const slot = () => processSingleton<SchedulerSlot>("scheduler", () => ({ handle: null }));

/** Installs the running scheduler (boot hook). */
export function setSchedulerHandle(handle: SchedulerHandle | null): void {
  slot().handle = handle;
}

/** The running scheduler, or null before boot / in tests that don't start one. */
export function getSchedulerHandle(): SchedulerHandle | null {
  return slot().handle;
}

/** Wakes the scheduler loop if one runs in this process; a no-op otherwise. */
export function pokeScheduler(reason: string): void {
  slot().handle?.poke(reason);
}
