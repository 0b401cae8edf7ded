import path from "node:path";
import { Worker } from "node:worker_threads";

/** What the checkpointer's thread reports (wal-checkpointer-thread.mjs). */
export type WalCheckpointerMessage = { t: "checkpointed"; walFrames: number; checkpointed: number } | { t: "failed"; message: string };

/** A running WAL checkpointer (startWalCheckpointer). */
export interface WalCheckpointer {
  /** False once its thread failed to start or exited: the caller checkpoints itself then. */
  readonly alive: boolean;
  /** Closes its connection and ends its thread; resolves when the thread exited. Idempotent. */
  stop(): Promise<void>;
}

/** How often the checkpointer checkpoints (ms): the WAL stays far below SQLite's 1,000-page auto-checkpoint. */
export const WAL_CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * Starts a thread of its own that checkpoints the WAL of the SQLite file `file` (a path as the
 * app's connections take it, relative to the process's cwd; the file must exist) every
 * `intervalMs` ms (default WAL_CHECKPOINT_INTERVAL_MS) with `wal_checkpoint(PASSIVE)` on its
 * own connection (ADR 0034). A checkpoint's copy and fsync (16–19 ms for 1,000 pages on the bench
 * machine) then block no thread the app needs: before, the executor host's thread ran it every
 * second (ADR 0022 amendment), the thread that asks the spawners for agents, and a burst of
 * occurrences that met a checkpoint started its agents late by it (bench:start, 2026-12-04).
 * SQLite's own auto-checkpoint (1,000 pages) stays on every other connection as a safety net.
 *
 * `onMessage` receives the thread's reports (tests; failures are logged here). Never throws:
 * a thread that can't start is logged and reported through `alive`.
 */
export function startWalCheckpointer(file: string, opts: { intervalMs?: number; onMessage?: (m: WalCheckpointerMessage) => void } = {}): WalCheckpointer {
  const entry = path.join(/* turbopackIgnore: true */ process.cwd(), "src/lib/db/wal-checkpointer-thread.mjs");
  let alive = true;
  let exited!: () => void;
  const exit = new Promise<void>((resolve) => (exited = resolve));
  let worker: Worker;
  try {
    // Reflect.construct, not `new Worker(…)`: the bundler would try to bundle the thread's module (executor-host/host.ts).
    worker = Reflect.construct(Worker, [entry, { workerData: { file, intervalMs: opts.intervalMs ?? WAL_CHECKPOINT_INTERVAL_MS }, name: "agentcron-wal-checkpointer" }]) as Worker;
  } catch (err) {
    console.error(`[agentcron] WAL checkpointer for ${file} could not start (${(err as Error).message}); checkpoints stay on the caller's thread`);
    return { alive: false, stop: async () => {} };
  }
  worker.unref();
  worker.on("message", (m: WalCheckpointerMessage) => {
    if (m.t === "failed") console.error(`[agentcron] WAL checkpoint of ${file} failed: ${m.message}`);
    opts.onMessage?.(m);
  });
  worker.on("error", (err) => {
    alive = false;
    console.error(`[agentcron] WAL checkpointer for ${file} failed (${err.message}); checkpoints go back to the caller's thread`);
  });
  worker.on("exit", () => {
    alive = false;
    exited();
  });
  return {
    get alive() {
      return alive;
    },
    async stop() {
      if (alive) worker.postMessage("stop");
      await exit;
    },
  };
}
