import "server-only";
import { reconcileStreamingMessages } from "./chat/reconcile";
import { getDb } from "./db/client";
import { processSingleton } from "./process-singleton";
import { getSchedulerHandle } from "./scheduler/control";
import { markRunnerStopped, registerRunner } from "./scheduler/runner-registry";
import { startScheduler } from "./scheduler/start";
import { systemClock } from "./time/clock";

export interface BootState {
  /** True once the DB is migrated and the scheduler is armed (GET /api/health → 200). */
  ready: boolean;
  runnerId: string | null;
  /** The boot failure, shown by /api/health as 503. */
  error: string | null;
  promise: Promise<void> | null;
}

/** The process's boot state (globalThis-backed). */
export function bootState(): BootState {
  return processSingleton<BootState>("boot", () => ({ ready: false, runnerId: null, error: null, promise: null }));
}

/**
 * Boots Agentcron once per process, even under dev hot reload: migrate the DB,
 * register this process as a runner, finalize chat messages a dead process left
 * streaming, start the scheduler, and install SIGTERM/SIGINT
 * handlers that stop it cleanly. Called from instrumentation.ts `register()` on the
 * Node runtime. Later calls return the first call's promise.
 */
export function boot(): Promise<void> {
  const state = bootState();
  state.promise ??= (async () => {
    try {
      const db = getDb();
      const runnerId = registerRunner(db, systemClock.now());
      state.runnerId = runnerId;
      try {
        reconcileStreamingMessages(db, runnerId, systemClock.now());
      } catch (err) {
        // Stale chat messages must not keep the scheduler from starting.
        console.error("[agentcron] could not finalize chat messages left streaming", err);
      }
      await startScheduler({ db, clock: systemClock, runnerId });
      installShutdown(runnerId);
      state.ready = true;
      console.log(`[agentcron] booted as ${runnerId} (pid ${process.pid})`);
    } catch (err) {
      state.error = (err as Error).message;
      console.error("[agentcron] boot failed:", err);
      throw err;
    }
  })();
  return state.promise;
}

function installShutdown(runnerId: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`[agentcron] ${signal}: stopping scheduler`);
    const handle = getSchedulerHandle();
    void (handle ? handle.stop() : Promise.resolve())
      .catch((err) => console.error("[agentcron] scheduler stop failed", err))
      .finally(() => {
        try {
          markRunnerStopped(getDb(), runnerId, systemClock.now());
        } catch (err) {
          console.error("[agentcron] could not mark runner stopped", err);
        }
        bootState().ready = false;
      });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
