import "server-only";
import path from "node:path";
import { SHARE_ENV, Worker } from "node:worker_threads";
import type { OwnedProcessGroup } from "../../db/schema";
import { env } from "../../env";
import { processSingleton, resetProcessSingleton } from "../../process-singleton";
import { killOwnedGroupsNow } from "../process-table";
import { trackedRootsMirror } from "../process-tree";
import { taskEventBus, type TaskOutcome } from "../task-executor";
import { spawnerStatus, warmSpawners, type SpawnerStatus } from "../spawner/client";
import type { QuietCollectionCounts } from "../../scheduler/quiet-collection";
import type { FromHost, HostRunRequest, ToHost } from "./protocol";

/** How long a launch waits for a new host's worker to load before running inline instead (ms). */
export const HOST_READY_TIMEOUT_MS = 15_000;

/** Thrown into a run's execute() when the host's worker died under it. */
export class ExecutorHostDiedError extends Error {
  constructor(cause: string) {
    super(`The executor host died (${cause}); the run's agent processes were killed`);
    this.name = "ExecutorHostDiedError";
  }
}

interface PendingRun {
  resolve(outcome: TaskOutcome): void;
  reject(err: Error): void;
}

/**
 * The executor host (ADR 0022): one worker thread per process that runs agents and persists
 * their events (runtimes/executor-host/worker.ts), so the main thread's event loop — the
 * scheduler's decisions, the routes, the chat — never parses an agent's stream or writes its
 * events. The main thread keeps the run's AbortController (cancel, the lease reaper, shutdown
 * abort it; the abort is forwarded with its reason) and the guarded terminal write.
 *
 * Mirrors: persisted event batches are re-emitted on this thread's taskEventBus (the live
 * view's SSE); run roots the worker spawns are mirrored into this thread's tracked set, so the
 * last-resort kill at shutdown (process-tree.ts) reaches them.
 *
 * If the worker dies (an uncaught error in it, `terminate`), every run it held rejects with
 * ExecutorHostDiedError after the process groups it reported are SIGKILLed; the next
 * `executorHost()` call starts a new one.
 */
export class ExecutorHost {
  private readonly worker: Worker;
  private readonly runs = new Map<string, PendingRun>();
  private readonly roots = new Map<number, OwnedProcessGroup>();
  private deadWith: string | null = null;
  /** How the worker spawns agents, as it last reported (ADR 0028). */
  spawner: SpawnerStatus | null = null;
  /** The worker thread's quiet-window collections (ADR 0035), as it reported them. */
  readonly quietCollections: QuietCollectionCounts = { collections: 0, pauseMsTotal: 0, pauseMsMax: 0 };
  private closedResolve: (() => void) | null = null;
  /** Resolves when the worker loaded (true) or died before that (false). */
  readonly ready: Promise<boolean>;

  constructor() {
    const entry = path.join(/* turbopackIgnore: true */ process.cwd(), "src/lib/runtimes/executor-host/entry.mjs");
    // Reflect.construct, not `new Worker(…)`: a literal `new Worker(path)` makes the bundler
    // try to bundle the worker's module graph into the server build.
    this.worker = Reflect.construct(Worker, [
      entry,
      { execArgv: ["--conditions=react-server"], env: SHARE_ENV, name: "agentcron-executor-host" },
    ]) as Worker;
    this.worker.unref();
    let markReady!: (ok: boolean) => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.worker.on("message", (message: FromHost) => {
      if (message.t === "ready") markReady(true);
      else this.onMessage(message);
    });
    this.worker.on("error", (err) => {
      console.error("[agentcron] executor host: the worker thread failed", err);
      this.die(err.message);
      markReady(false);
    });
    this.worker.on("exit", (code) => {
      this.die(`its thread exited with code ${code}`);
      markReady(false);
    });
  }

  /** True once the worker died; a dead host takes no runs. */
  get dead(): boolean {
    return this.deadWith !== null;
  }

  /** Runs currently held by the host. */
  get running(): number {
    return this.runs.size;
  }

  /**
   * Runs one task in the worker: resolves with its outcome (never a terminal write: the
   * caller writes it with its guard). `signal` aborts the run with its reason, forwarded.
   * @throws ExecutorHostDiedError (rejects) when the worker dies before the run's outcome;
   *   Error with the worker's message when the run threw there.
   */
  execute(request: HostRunRequest, signal: AbortSignal): Promise<TaskOutcome> {
    if (this.deadWith !== null) return Promise.reject(new ExecutorHostDiedError(this.deadWith));
    if (this.runs.has(request.taskId)) return Promise.reject(new Error(`task ${request.taskId} is already running in the executor host`));
    const forward = () => this.post({ t: "abort", taskId: request.taskId, reason: String(signal.reason) });
    return new Promise<TaskOutcome>((resolve, reject) => {
      this.runs.set(request.taskId, { resolve, reject });
      this.worker.ref();
      this.post({ t: "run", run: signal.aborted ? { ...request, abortedWith: String(signal.reason) } : request });
      if (!signal.aborted) signal.addEventListener("abort", forward, { once: true });
    }).finally(() => {
      signal.removeEventListener("abort", forward);
      this.runs.delete(request.taskId);
      if (!this.runs.size) this.worker.unref();
    });
  }

  /**
   * Tells the worker the scheduler is in a quiet window: it collects garbage if its heap grew
   * `growthBytes` (default QUIET_COLLECT_GROWTH_BYTES) since its last major collection (ADR 0035).
   */
  quiet(growthBytes?: number): void {
    if (this.deadWith === null) this.post({ t: "quiet", growthBytes });
  }

  /**
   * Stops the worker at once, as a crash would (tests; a host that stopped answering):
   * its runs reject with ExecutorHostDiedError and their process groups are killed.
   */
  async terminate(): Promise<void> {
    await this.worker.terminate();
    this.die("terminated");
  }

  /** Closes the worker's database connections, then ends the thread. Runs still held are treated as at terminate. */
  async close(): Promise<void> {
    if (this.deadWith !== null) return;
    await new Promise<void>((resolve) => {
      this.closedResolve = resolve;
      this.post({ t: "close" });
      setTimeout(resolve, 2_000).unref();
    });
    await this.terminate();
  }

  private post(message: ToHost): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: Exclude<FromHost, { t: "ready" }>): void {
    switch (message.t) {
      case "events":
        taskEventBus().emit(`task:${message.taskId}`, message.rows);
        break;
      case "end":
        taskEventBus().emit(`end:${message.taskId}`);
        break;
      case "root-added":
        this.roots.set(message.group.pgid, message.group);
        trackedRootsMirror.adopt(message.group.pgid);
        break;
      case "root-removed":
        this.roots.delete(message.pid);
        trackedRootsMirror.forget(message.pid);
        break;
      case "outcome":
        this.runs.get(message.taskId)?.resolve(message.outcome);
        break;
      case "run-error":
        this.runs.get(message.taskId)?.reject(new Error(message.message));
        break;
      case "spawner":
        this.spawner = message.status;
        break;
      case "quiet-collected":
        this.quietCollections.collections += 1;
        this.quietCollections.pauseMsTotal += message.pauseMs;
        this.quietCollections.pauseMsMax = Math.max(this.quietCollections.pauseMsMax, message.pauseMs);
        break;
      case "closed":
        this.closedResolve?.();
        break;
    }
  }

  private die(cause: string): void {
    if (this.deadWith !== null) return;
    this.deadWith = cause;
    // Agents run detached (their own process groups): a dead thread leaves them running.
    const groups = [...this.roots.values()];
    if (groups.length) {
      const { killed } = killOwnedGroupsNow(groups, 0);
      console.error(`[agentcron] executor host died (${cause}): killed ${killed.length} agent process(es) of ${this.runs.size} run(s)`);
    }
    for (const pid of this.roots.keys()) trackedRootsMirror.forget(pid);
    this.roots.clear();
    const error = new ExecutorHostDiedError(cause);
    for (const run of this.runs.values()) run.reject(error);
    if (processSingleton<HostSlot>(KEY, emptySlot).host === this) resetProcessSingleton(KEY);
  }
}

const KEY = "executor-host";
interface HostSlot {
  host: ExecutorHost | null;
  /** Set when a host's worker could not load: runs stay inline for the life of the process. */
  unavailable: string | null;
}
const emptySlot = (): HostSlot => ({ host: null, unavailable: null });

/**
 * The process's executor host, started on first use (boot warms it). Null when runs execute
 * inline: AGENTCRON_EXECUTOR=inline, or a host's worker failed to load (logged once; e.g.
 * the source tree or tsx is missing), so a broken host never fails the runs themselves.
 */
export async function executorHost(): Promise<ExecutorHost | null> {
  if (env().AGENTCRON_EXECUTOR === "inline") return null;
  const slot = processSingleton<HostSlot>(KEY, emptySlot);
  if (slot.unavailable) return null;
  let host = slot.host;
  if (!host || host.dead) host = slot.host = new ExecutorHost();
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    host.ready,
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), HOST_READY_TIMEOUT_MS);
      timer.unref?.();
    }),
  ]);
  clearTimeout(timer);
  if (ready) return host;
  if (!slot.unavailable) {
    slot.unavailable = "the executor host's worker did not load";
    console.error(`[agentcron] ${slot.unavailable}: agent runs execute on the main thread (AGENTCRON_EXECUTOR=inline behaviour)`);
    void host.terminate().catch(() => {});
  }
  return null;
}

/**
 * Where this process executes agent runs now (GET /api/scheduler/status `executor`):
 * `thread` unless AGENTCRON_EXECUTOR=inline or the host's worker failed to load, how many
 * runs the host holds, and how agents are spawned (`spawner`: through spawner processes or
 * in-process, ADR 0028; null until the host's worker reported it).
 */
export function executorStatus(): { mode: "thread" | "inline"; hostRuns: number; spawner: SpawnerStatus | null } {
  const slot = processSingleton<HostSlot>(KEY, emptySlot);
  const inline = env().AGENTCRON_EXECUTOR === "inline" || slot.unavailable !== null;
  const host = slot.host && !slot.host.dead ? slot.host : null;
  return {
    mode: inline ? "inline" : "thread",
    hostRuns: host ? host.running : 0,
    // Who spawns agents: this thread when inline, else the host's worker (null until it reported).
    spawner: inline ? spawnerStatus() : (host?.spawner ?? null),
  };
}

/**
 * The scheduler's quiet window reaches the executor host's thread (ADR 0035): a live host
 * collects garbage there if its heap grew. Starts no host.
 */
export function executorHostQuiet(): void {
  const host = processSingleton<HostSlot>(KEY, emptySlot).host;
  if (host && !host.dead) host.quiet();
}

/** The live executor host's quiet-window collections (a copy), or null without one (inline, not started). */
export function executorHostQuietCollections(): QuietCollectionCounts | null {
  const host = processSingleton<HostSlot>(KEY, emptySlot).host;
  return host && !host.dead ? { ...host.quietCollections } : null;
}

/** Starts the executor host in the background so the first run doesn't wait for its worker to load (boot). */
export function warmExecutorHost(): void {
  // Inline, this thread spawns the agents: start its spawner processes (ADR 0028).
  if (env().AGENTCRON_EXECUTOR === "inline") void warmSpawners();
  void executorHost().catch((err) => console.error("[agentcron] could not start the executor host", err));
}

/** Stops the process's executor host, if any (scheduler stop; tests). */
export async function closeExecutorHost(): Promise<void> {
  const slot = processSingleton<HostSlot>(KEY, emptySlot);
  const host = slot.host;
  resetProcessSingleton(KEY);
  await host?.close();
}
