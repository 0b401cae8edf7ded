/**
 * The executor host's worker thread (ADR 0022): runs agents (spawn, stream parsing, turn
 * counting, the cost meter) and persists their events through its own connection to the
 * database, so none of that work waits on — or delays — the main thread's event loop, which
 * keeps the scheduler's decisions, the HTTP routes and the chat. The main thread keeps each
 * run's AbortController (cancel, reaper, shutdown) and writes the terminal state with its
 * guard; this side only ever returns an outcome.
 *
 * Loaded by entry.mjs (tsx) in a `worker_threads` Worker started by host.ts.
 */
import { parentPort } from "node:worker_threads";
import { closeDbAt, openDbAt, type Db, type DbLocation } from "../../db/client";
import { checkpointWal } from "../../db/queries/storage";
import { startWalCheckpointer, WAL_CHECKPOINT_INTERVAL_MS, type WalCheckpointer } from "../../db/wal-checkpointer";
import { collectIfGrown } from "../../scheduler/quiet-collection";
import { lowerThisThreadPriority, observeTrackedRoots } from "../process-tree";
import { buildRuntime } from "../registry";
import { onSpawnerStatusChange, spawnerStatus, warmSpawners } from "../spawner/client";
import { executeTask, type TaskOutcome } from "../task-executor";
import type { FromHost, HostRunRequest, ToHost } from "./protocol";

const port = parentPort;
if (!port) throw new Error("executor-host worker: no parentPort (load it in a worker thread)");

const send = (message: FromHost) => port.postMessage(message);

/** One connection per database location, opened on first use. */
const connections = new Map<string, Db>();
/** The WAL checkpointer of each SQLite connection's file (ADR 0034), by connection. */
const checkpointers = new Map<Db, WalCheckpointer>();
function dbFor(location: DbLocation): Db {
  const key = location.dialect === "sqlite" ? `sqlite:${location.file}` : `pg:${location.url}`;
  let db = connections.get(key);
  if (!db) {
    db = openDbAt(location);
    connections.set(key, db);
    if (location.dialect === "sqlite") checkpointers.set(db, startWalCheckpointer(location.file));
  }
  return db;
}

const controllers = new Map<string, AbortController>();

/**
 * The WAL of this thread's SQLite files is checkpointed every WAL_CHECKPOINT_INTERVAL_MS: this
 * thread writes nearly all of it (agents' events), and a checkpoint run by SQLite inside one of
 * the main thread's commits (the WAL past 1,000 pages) copies and fsyncs on the thread that
 * serves the scheduler and the chat (ADR 0022 amendment). The checkpoints run on a thread of
 * their own (ADR 0034), not on this one, which asks the spawners for agents: here, this thread
 * checkpoints only a file whose checkpointer thread is gone.
 */
setInterval(() => {
  for (const [db, checkpointer] of checkpointers) {
    if (!checkpointer.alive) checkpointWal(db).catch((err) => console.error("[agentcron] executor host: WAL checkpoint failed", err));
  }
}, WAL_CHECKPOINT_INTERVAL_MS).unref();

observeTrackedRoots({
  added: (group) => send({ t: "root-added", group }),
  removed: (pid) => send({ t: "root-removed", pid }),
});

async function run(request: HostRunRequest): Promise<TaskOutcome> {
  const controller = new AbortController();
  controllers.set(request.taskId, controller);
  if (request.abortedWith !== undefined) controller.abort(request.abortedWith);
  try {
    const { runtime } = buildRuntime(request.runtimeRow);
    return await executeTask({
      db: dbFor(request.location),
      taskId: request.taskId,
      runtime,
      prompt: request.prompt,
      maxTurns: request.maxTurns,
      resumeSessionId: request.resumeSessionId,
      budget: request.budget ?? undefined,
      signal: controller.signal,
      publish: {
        events: (taskId, rows) => send({ t: "events", taskId, rows }),
        end: (taskId) => send({ t: "end", taskId }),
      },
    });
  } finally {
    controllers.delete(request.taskId);
  }
}

port.on("message", (message: ToHost) => {
  switch (message.t) {
    case "run":
      // A run that throws (executeTask never does; buildRuntime can) is reported as an error:
      // the main thread writes it from the row as persisted (task-launcher.ts).
      void run(message.run).then(
        (outcome) => send({ t: "outcome", taskId: message.run.taskId, outcome }),
        (err) => send({ t: "run-error", taskId: message.run.taskId, message: (err as Error)?.message ?? String(err) }),
      );
      break;
    case "abort": {
      const controller = controllers.get(message.taskId);
      if (controller && !controller.signal.aborted) controller.abort(message.reason);
      break;
    }
    case "quiet":
      // Nothing is due for a while (the main thread's loop decided): this thread's major
      // collection now, not inside the next burst of spawn requests (ADR 0035).
      {
        const collection = collectIfGrown(message.growthBytes);
        if (collection.collected) send({ t: "quiet-collected", pauseMs: collection.pauseMs });
      }
      break;
    case "close":
      void Promise.all([...checkpointers.values()].map((c) => c.stop()))
        .then(() => Promise.all([...connections.values()].map((db) => closeDbAt(db).catch(() => {}))))
        .finally(() => {
          checkpointers.clear();
          connections.clear();
          send({ t: "closed" });
        });
      break;
  }
});

// This thread spawns the agents: start its spawner processes now (ADR 0028), and tell the
// main thread how it spawns (GET /api/scheduler/status) once they answered or fell back.
// They are forked (synchronously, in warmSpawners' first step) BEFORE this thread lowers its
// priority: a fork inherits the thread's nice value, and the spawners start agents on time at
// the main thread's priority; the agents they start get the agents' (ADR 0029).
const reportSpawner = () => send({ t: "spawner", status: spawnerStatus() });
void warmSpawners().then(reportSpawner);
onSpawnerStatusChange(reportSpawner); // a spawner died: the status counts it
// Background work: this thread yields the CPU to the main thread's chat and API (ADR 0029).
lowerThisThreadPriority();
send({ t: "ready" });
