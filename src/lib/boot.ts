import "server-only";
import { reconcileStreamingMessages } from "./chat/reconcile";
import { dbReady, getDb } from "./db/client";
import { env } from "./env";
import { recordRunnerProfile, runnerProfileFromEnv } from "./runners/directory";
import { startEventLoopDelayMonitor } from "./metrics/event-loop-delay";
import { processSingleton } from "./process-singleton";
import { prepareStorage, startMaintenance } from "./retention/maintenance";
import { warmExecutorHost } from "./runtimes/executor-host/host";
import { killTrackedProcessGroupsNow } from "./runtimes/process-tree";
import { getSchedulerHandle } from "./scheduler/control";
import { markRunnerStopped, registerRunner } from "./scheduler/runner-registry";
import { startScheduler } from "./scheduler/start";
import { repairStrandedSchedules } from "./scheduler/stranded-schedules";
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
 * Boots Agentcron once per process, even under dev hot reload: migrate the DB (SQLite or
 * PostgreSQL: `DATABASE_URL`), register this process as a runner with its profile
 * (`kind`; AGENTCRON_RUNNER_CAPACITY / _LABELS), finalize chat messages a dead process left
 * streaming, start the scheduler, and install SIGTERM/SIGINT/SIGHUP handlers that stop it
 * cleanly. Called from instrumentation.ts `register()` on the Node runtime (kind `web`) and
 * by `npm run worker` (kind `worker`, src/worker/main.ts). Later calls return the first
 * call's promise.
 * @throws (rejects) when the DB can't be opened or migrated, or the environment is invalid.
 */
export function boot(kind: "web" | "worker" = "web"): Promise<void> {
  const state = bootState();
  state.promise ??= (async () => {
    try {
      const profile = runnerProfileFromEnv(kind);
      startEventLoopDelayMonitor(); // GET /api/scheduler/status eventLoopDelay: the last 60 s from boot on
      const db = getDb();
      await dbReady();
      const runnerId = await registerRunner(db, systemClock.now());
      await recordRunnerProfile(db, runnerId, profile);
      state.runnerId = runnerId;
      try {
        await reconcileStreamingMessages(db, runnerId, systemClock.now());
      } catch (err) {
        // Stale chat messages must not keep the scheduler from starting.
        console.error("[agentcron] could not finalize chat messages left streaming", err);
      }
      try {
        await repairStrandedSchedules(db, systemClock.now()); // ADR 0007: rows the old cron evaluation stranded
      } catch (err) {
        console.error("[agentcron] could not repair stranded schedules", err);
      }
      await prepareStorage(db); // issue 11 item 4: incremental auto-vacuum (ADR 0018)
      warmExecutorHost(); // agent runs execute in its worker thread (ADR 0022); loading it takes ~1 s
      await startScheduler({ db, clock: systemClock, runnerId });
      startMaintenance(db, systemClock); // retention, vacuum, daily backup: off the scheduler's pass
      installShutdown(runnerId, kind === "worker");
      state.ready = true;
      console.log(`[agentcron] booted as ${runnerId} (${kind}, ${db.$dialect === "pg" ? "PostgreSQL" : "SQLite"}, pid ${process.pid})`);
    } catch (err) {
      state.error = (err as Error).message;
      console.error("[agentcron] boot failed:", err);
      throw err;
    }
  })();
  return state.promise;
}

/** How long a signalled server waits for runs to stop gracefully before killing what is left. */
const SHUTDOWN_GRACE_MS = 3_000;

/**
 * SIGTERM/SIGINT/SIGHUP: stop the scheduler (its runs are aborted: SIGTERM to their process
 * trees, SIGKILL after the runtime's grace), then SIGKILL whatever run process group is
 * still tracked, mark the runner stopped, and exit. Running rows stay `running` and are
 * recovered as `runtime_recovery` by the next runner (invariant 9).
 *
 * Idempotent (`process.on`, issue #10 fault 3): Ctrl-C in a terminal signals the whole
 * foreground process group, so `npm start` and its `next start` child both get SIGINT and
 * the launcher forwards one more; a repeated signal is ignored instead of killing the
 * server halfway through its shutdown.
 *
 * Next.js exits on these signals by itself unless NEXT_MANUAL_SIG_HANDLE is set (as
 * `npm start` does): then this handler owns the exit and has time for the graceful
 * part; otherwise it kills the run process groups synchronously first, because the
 * process may be gone before any timer fires.
 */
function installShutdown(runnerId: string, ownsProcess: boolean): void {
  let stopping = false;
  // A worker is its own process (no Next.js): its exit is always ours.
  const ownsExit = ownsProcess || env().NEXT_MANUAL_SIG_HANDLE;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`[agentcron] ${signal}: already stopping`);
      return;
    }
    stopping = true;
    console.log(`[agentcron] ${signal}: stopping scheduler and agent runs`);
    if (!ownsExit) killTrackedProcessGroupsNow();
    const handle = getSchedulerHandle();
    const graceful = (handle ? handle.stop() : Promise.resolve()).catch((err) => console.error("[agentcron] scheduler stop failed", err));
    void Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]).finally(async () => {
      const killed = killTrackedProcessGroupsNow();
      if (killed.length) console.log(`[agentcron] killed ${killed.length} agent process group(s) still running`);
      try {
        await markRunnerStopped(getDb(), runnerId, systemClock.now());
      } catch (err) {
        console.error("[agentcron] could not mark runner stopped", err);
      }
      bootState().ready = false;
      // Next.js handles SIGINT/SIGTERM unless told not to, but never SIGHUP: that exit is ours.
      if (ownsExit || signal === "SIGHUP") process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15));
    });
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, stop);
}
