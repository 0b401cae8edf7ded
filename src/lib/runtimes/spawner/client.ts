import "server-only";
import { fork, spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import fs from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { env } from "../../env";
import { processSingleton } from "../../process-singleton";
import { killOwnedGroupsNow, processStartTime } from "../process-table";
import { agentNiceValue } from "../process-tree";

/** How long a new spawner process may take to say it is ready before spawns fall back to in-process (ms). */
export const SPAWNER_READY_TIMEOUT_MS = 5_000;

/** What to start: argv split, the exact environment the agent gets, and its prompt on stdin (or none). */
export interface AgentSpawnRequest {
  file: string;
  args: string[];
  cwd?: string;
  /** The agent's whole environment (the runtime's allow-list, ADR 0008): passed through unchanged. */
  env: Record<string, string>;
  /** Written to the agent's stdin, then stdin is closed; null = stdin is /dev/null. */
  stdin: string | null;
}

/**
 * The request as every spawner receives it: each string well-formed UTF-16, a lone
 * surrogate replaced by U+FFFD. That is what Node's own `spawn` does when it encodes
 * argv, env and a string written to stdin as UTF-8, so an agent gets the same bytes
 * whichever spawner starts it; the posix spawner (Python) would otherwise refuse to
 * encode the string (a prompt with "\ud800" in it ended that spawner, and the agents it
 * had started were killed with it: CI, 2026-12-04).
 */
function wellFormed(request: AgentSpawnRequest): Omit<AgentSpawnRequest, "cwd"> & { cwd: string | null } {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.env)) env[key.toWellFormed()] = value.toWellFormed();
  return {
    file: request.file.toWellFormed(),
    args: request.args.map((arg) => arg.toWellFormed()),
    cwd: request.cwd?.toWellFormed() ?? null,
    env,
    stdin: request.stdin?.toWellFormed() ?? null,
  };
}

/**
 * A started agent process, wherever it was spawned: a real ChildProcess (in-process spawn)
 * or a RemoteChild (spawned by a spawner process). The pid is real either way, so the
 * process-tree kill (process groups, /proc) works from this thread unchanged.
 *
 * Events: 'exit' (code, signal) when the process exited; 'close' (code, signal) once it
 * exited and its stdout and stderr closed; 'error' (Error) when it is lost without an exit
 * (SpawnerDiedError: its spawner died; no 'close' follows then).
 */
export interface AgentProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  on(event: "exit" | "close", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: "error", listener: (err: Error) => void): this;
  once(event: "exit" | "close", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: "error", listener: (err: Error) => void): this;
}

/** Why an agent could not be started: the errno code (ENOENT, EACCES …) when there is one. */
export interface AgentSpawnFailure {
  code: string | null;
  message: string;
  /** True when the spawner process died before the agent was handed over (the run fails agent_error). */
  spawnerDied?: boolean;
}

export type AgentSpawnResult = { ok: true; child: AgentProcess; via: "spawner" | "in-process" } | { ok: false; error: AgentSpawnFailure };

/** Emitted on a RemoteChild when its spawner process died under it (its process group was SIGKILLed first). */
export class SpawnerDiedError extends Error {
  constructor(cause: string) {
    super(`The spawner process died (${cause}); the agent's processes were killed`);
    this.name = "SpawnerDiedError";
  }
}

/** An agent started by a spawner process: its pipes were handed over, its exit is reported by the spawner. */
class RemoteChild extends EventEmitter implements AgentProcess {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private readonly sockets: Socket[] = [];
  readonly startTime: number | null;
  private open = 2;
  private exited = false;
  private lost = false;

  constructor(readonly pid: number) {
    super();
    this.startTime = processStartTime(pid);
  }

  /**
   * Adopts one of the agent's pipes (a socket built from the handle the spawner sent): its
   * bytes flow into `stdout`/`stderr` from now on. The run's reader attaches only once both
   * pipes are here (a later turn of the event loop), and a socket read to EOF meanwhile would
   * emit 'end' to nobody; the PassThrough keeps data and EOF until someone reads.
   */
  attach(which: "stdout" | "stderr", socket: Socket): void {
    this.sockets.push(socket);
    socket.on("error", () => {
      // A reset pipe ends like a closed one; the exit status tells the story.
    });
    socket.once("close", () => {
      this.open -= 1;
      this.maybeClose();
    });
    socket.pipe(this[which]);
  }

  exited_(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.lost) return;
    this.exitCode = code;
    this.signalCode = signal;
    this.exited = true;
    this.emit("exit", code, signal);
    this.maybeClose();
  }

  lose(err: SpawnerDiedError): void {
    if (this.exited || this.lost) return;
    this.lost = true;
    this.signalCode = "SIGKILL";
    for (const socket of this.sockets) socket.destroy();
    this.stdout.end();
    this.stderr.end();
    this.emit("exit", null, "SIGKILL");
    // Only a listener can act on it (the command runtime fails the run); never an unhandled throw.
    if (this.listenerCount("error")) this.emit("error", err);
  }

  private maybeClose(): void {
    if (this.exited && this.open === 0) this.emit("close", this.exitCode, this.signalCode);
  }
}

interface PendingSpawn {
  resolve(result: AgentSpawnResult): void;
  child: RemoteChild | null;
}

type FromSpawner =
  | { t: "ready" }
  | { t: "spawned"; id: number; pid: number }
  | { t: "stdout" | "stderr"; id: number }
  | { t: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: "spawn-error"; id: number; code: string | null; message: string };

/**
 * How a spawner process is started: `posix` runs spawner-posix.py (Python's subprocess,
 * vfork + exec, ADR 0033) with `python`; `node` forks spawner-process.mjs (plain Node, fork +
 * exec, ADR 0028). Both speak the same protocol over Node's IPC channel.
 */
export type SpawnerScript = { kind: "posix"; python: string; path: string } | { kind: "node"; path: string };

const SPAWNER_DIR = "src/lib/runtimes/spawner";

/** The plain-Node spawner's script (no app imports: it must stay small). */
export function spawnerEntry(): string {
  return path.join(/* turbopackIgnore: true */ process.cwd(), SPAWNER_DIR, "spawner-process.mjs");
}

/** The python3 the posix spawner runs on: Debian's and /usr/local's first, then PATH; null when none is executable. */
function findPython(): string | null {
  const dirs = ["/usr/bin", "/usr/local/bin", ...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = path.join(dir, "python3");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The spawner scripts this thread tries, best first (AGENTCRON_SPAWNER): `auto` (default) the
 * posix spawner when a python3 exists, then the Node one; `node` only the Node one. Linux only:
 * the posix spawner needs pidfds, and elsewhere a `python3` may be a stub that asks to install
 * developer tools (macOS) rather than a Python.
 */
export function defaultSpawnerScripts(): SpawnerScript[] {
  const node: SpawnerScript = { kind: "node", path: spawnerEntry() };
  const python = env().AGENTCRON_SPAWNER === "auto" && process.platform === "linux" ? findPython() : null;
  return python ? [{ kind: "posix", python, path: path.join(/* turbopackIgnore: true */ process.cwd(), SPAWNER_DIR, "spawner-posix.py") }, node] : [node];
}

/** Starts a spawner process running `script`, with nothing of this process's environment but PATH. */
function startSpawnerProcess(script: SpawnerScript): ChildProcess {
  // Nothing of the server's environment (secrets): agents get the env each request carries.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv;
  const stdio: ("ignore" | "inherit" | "ipc")[] = ["ignore", "inherit", "inherit", "ipc"];
  if (script.kind === "node") return fork(script.path, [], { execArgv: [], env, stdio, serialization: "json" });
  // -I: isolated (no PYTHON* variables, no user site); -S: no site import (a faster start).
  return spawn(script.python, ["-I", "-S", script.path], { env, stdio, serialization: "json" });
}

/**
 * One spawner process (spawner-posix.py or spawner-process.mjs: its `script`) and the agents
 * it started for this thread. Started once (one fork of this big process), with a minimal
 * environment and no exec flags. Unref'd while it holds no agent, so it never keeps the
 * server alive.
 *
 * If it dies (killed, crashed) after it was ready, every agent it holds is SIGKILLed by
 * process group (they run detached and would outlive it) and lost with SpawnerDiedError; the
 * pool then starts a new one on the next spawn.
 */
export class SpawnerProcess {
  private readonly proc: ChildProcess;
  private readonly pending = new Map<number, PendingSpawn>();
  private readonly live = new Map<number, RemoteChild>();
  private nextId = 1;
  private deadWith: string | null = null;
  private retired = false;
  private saidReady = false;
  /** Resolves true once the spawner said ready, false if it died or failed first. */
  readonly ready: Promise<boolean>;

  /**
   * @param onDied called once when the process dies after it said ready and before it was
   *   retired (a crash, a kill): the pool counts it for the status.
   */
  constructor(
    readonly script: SpawnerScript,
    private readonly onDied?: (cause: string) => void,
  ) {
    let markReady!: (ok: boolean) => void;
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.proc = startSpawnerProcess(script);
    this.idle();
    this.proc.on("message", (message: FromSpawner, handle?: Socket) => {
      if (message.t === "ready") {
        this.saidReady = true;
        markReady(true);
      } else this.onMessage(message, handle);
    });
    this.proc.on("error", (err) => {
      this.die(err.message);
      markReady(false);
    });
    this.proc.on("exit", (code, signal) => {
      this.die(signal ? `killed by ${signal}` : `exited with code ${code}`);
      markReady(false);
    });
  }

  /** The spawner's own pid (tests; status). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** True once it died or was retired (close): it takes no more spawns. */
  get dead(): boolean {
    return this.deadWith !== null || this.retired;
  }

  /** True once it said ready and while it lives: a spawn can be sent at once, in this tick. */
  get readyNow(): boolean {
    return this.saidReady && !this.dead;
  }

  /** Spawns in flight plus agents alive: the pool's measure of how busy this spawner is. */
  get load(): number {
    return this.pending.size + this.live.size;
  }

  /** Asks the spawner to start one agent; resolves once it is started (pid known, pipes here) or failed. */
  spawn(request: AgentSpawnRequest): Promise<AgentSpawnResult> {
    if (this.dead) return Promise.resolve({ ok: false, error: { code: null, message: new SpawnerDiedError(this.deadWith ?? "retired").message, spawnerDied: true } });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, child: null });
      this.busy();
      this.proc.send({ t: "spawn", id, ...wellFormed(request), nice: agentNiceValue() });
    });
  }

  /** Kills the spawner process (SIGKILL), as a crash would (tests). */
  kill(): void {
    this.proc.kill("SIGKILL");
  }

  /**
   * Retires the spawner: it takes no more spawns and exits once every agent it started has
   * exited (their exits are still reported, so their runs end normally).
   */
  close(): void {
    this.retired = true;
    if (this.proc.connected) this.proc.send({ t: "close" });
  }

  private onMessage(message: Exclude<FromSpawner, { t: "ready" }>, handle?: Socket): void {
    switch (message.t) {
      case "spawned": {
        const pending = this.pending.get(message.id);
        if (pending) pending.child = new RemoteChild(message.pid);
        break;
      }
      case "stdout":
      case "stderr": {
        const pending = this.pending.get(message.id);
        if (!pending?.child || !handle) break;
        pending.child.attach(message.t, handle);
        if (message.t === "stderr") {
          // Both pipes are here: the agent is ours from now on.
          this.pending.delete(message.id);
          this.live.set(message.id, pending.child);
          pending.resolve({ ok: true, child: pending.child, via: "spawner" });
        }
        break;
      }
      case "exit": {
        const child = this.live.get(message.id);
        this.live.delete(message.id);
        child?.exited_(message.code, message.signal);
        this.idle();
        break;
      }
      case "spawn-error": {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        pending?.resolve({ ok: false, error: { code: message.code, message: message.message } });
        this.idle();
        break;
      }
    }
  }

  private busy(): void {
    this.proc.ref();
    this.proc.channel?.ref();
  }

  private idle(): void {
    if (this.load) return;
    this.proc.unref();
    this.proc.channel?.unref();
  }

  private die(cause: string): void {
    if (this.deadWith !== null) return;
    const unexpected = this.saidReady && !this.retired;
    this.retired = true;
    this.deadWith = cause;
    const children = [...this.live.values(), ...[...this.pending.values()].flatMap((p) => (p.child ? [p.child] : []))];
    // Agents run detached (their own process groups): a dead spawner leaves them running.
    const groups = children.flatMap((c) => (c.startTime != null ? [{ pgid: c.pid, startTime: c.startTime }] : []));
    if (groups.length) killOwnedGroupsNow(groups, 0);
    if (children.length) console.error(`[agentcron] spawner process died (${cause}): killed ${children.length} agent process group(s)`);
    const error = new SpawnerDiedError(cause);
    for (const child of this.live.values()) child.lose(error);
    for (const pending of this.pending.values()) pending.resolve({ ok: false, error: { code: null, message: error.message, spawnerDied: true } });
    this.live.clear();
    this.pending.clear();
    if (unexpected) this.onDied?.(cause);
  }
}

interface Pool {
  spawners: (SpawnerProcess | null)[];
  /** The scripts still to try, best first: the first is the one in use (defaultSpawnerScripts). */
  scripts: SpawnerScript[];
  /** Why a better script was given up (status), or null. */
  fellBack: string | null;
  /** Set when no spawner could start: spawns stay in-process for the life of this thread. */
  unavailable: string | null;
  /** Spawner processes that died while in use (status). */
  deaths: number;
  lastDeath: SpawnerDeath | null;
  /** Called when the status changes after warm-up (a death): the executor host reports it. */
  listeners: Set<() => void>;
}

/** Per thread (globalThis is per thread): each thread that spawns has its own spawners. */
const pool = () =>
  processSingleton<Pool>("agent-spawners", () => ({ spawners: [], scripts: defaultSpawnerScripts(), fellBack: null, unavailable: null, deaths: 0, lastDeath: null, listeners: new Set() }));

function recordDeath(cause: string): void {
  const p = pool();
  p.deaths += 1;
  p.lastDeath = { cause, at: new Date().toISOString() };
  for (const listener of p.listeners) listener();
}

/**
 * Calls `listener` whenever this thread's spawner status changes after warm-up (a spawner
 * died: `deaths` and `lastDeath`), for the life of the thread.
 */
export function onSpawnerStatusChange(listener: () => void): void {
  pool().listeners.add(listener);
}

/** How many spawner processes this thread uses (AGENTCRON_SPAWNERS; 0 = spawn in-process). */
function poolSize(): number {
  return env().AGENTCRON_SPAWNERS;
}

function liveSpawner(slot: number): SpawnerProcess {
  const p = pool();
  let spawner = p.spawners[slot];
  if (!spawner || spawner.dead) spawner = p.spawners[slot] = new SpawnerProcess(p.scripts[0], recordDeath);
  return spawner;
}

/**
 * The least busy spawner that is ready, or the least busy one when none is (new ones are
 * started in place of dead ones): a spawner still starting up is not sent a burst's starts
 * while another could take them now.
 */
function pickSpawner(): SpawnerProcess {
  const size = poolSize();
  let best = liveSpawner(0);
  for (let i = 1; i < size; i++) {
    const s = liveSpawner(i);
    if (s.readyNow !== best.readyNow ? s.readyNow : s.load < best.load) best = s;
  }
  return best;
}

async function readyWithin(spawner: SpawnerProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([spawner.ready, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return ok;
}

/**
 * A spawner of the script in use did not become ready: the pool moves on to the next script
 * (the posix spawner's fallback is the Node one) or, with none left, to in-process spawns.
 * Logged once per step. Spawners of the given-up script are killed (they hold no agent: none
 * was ever ready, or it would have been used).
 */
function giveUpScript(spawner: SpawnerProcess): void {
  const p = pool();
  if (p.scripts[0] !== spawner.script) return; // another caller moved on already
  const reason = spawner.dead ? "a spawner process could not start" : "a spawner process did not say ready in time";
  for (const s of p.spawners) s?.kill();
  p.spawners = [];
  p.scripts = p.scripts.slice(1);
  if (p.scripts.length) {
    p.fellBack = `${reason} (${spawner.script.kind})`;
    console.error(`[agentcron] ${p.fellBack}: agents are started by ${p.scripts[0].kind} spawners instead`);
    return;
  }
  p.unavailable = reason;
  console.error(`[agentcron] ${reason}: agents are spawned in-process (AGENTCRON_SPAWNERS=0 behaviour)`);
}

/**
 * Starts an agent process: detached (its own process group), stdout/stderr piped, the prompt
 * on stdin or stdin ignored, exactly `request.env` as its environment. Through a spawner
 * process (ADR 0028): the posix one (vfork + exec, ADR 0033) when python3 runs it, else the
 * plain-Node one (a fork of a small process, not of this one); in-process when
 * AGENTCRON_SPAWNERS=0 or no spawner could start (logged once; spawnerStatus says so).
 * Never throws: a failure to start (ENOENT, EACCES, bad cwd …) resolves `{ok: false}`.
 */
export async function spawnAgent(request: AgentSpawnRequest): Promise<AgentSpawnResult> {
  while (poolSize() > 0 && !pool().unavailable) {
    const spawner = pickSpawner();
    // A ready spawner is sent the start in the tick it was picked in (no await), so its load
    // counts for the next pick: starts asked for together (a pass's launches) are shared among
    // the spawners, not all sent to one.
    if (spawner.readyNow || (await readyWithin(spawner, SPAWNER_READY_TIMEOUT_MS))) return spawner.spawn(request);
    giveUpScript(spawner);
  }
  return spawnInProcess(request);
}

/** `spawn` from this thread (the fallback, and AGENTCRON_SPAWNERS=0): the same options as the spawner uses. */
export function spawnInProcess(request: AgentSpawnRequest): Promise<AgentSpawnResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(request.file, request.args, {
        cwd: request.cwd,
        env: request.env as NodeJS.ProcessEnv,
        stdio: [request.stdin == null ? "ignore" : "pipe", "pipe", "pipe"],
        detached: true,
      });
    } catch (err) {
      resolve({ ok: false, error: { code: (err as NodeJS.ErrnoException).code ?? null, message: (err as Error).message } });
      return;
    }
    if (!child.pid) {
      child.once("error", (err: NodeJS.ErrnoException) => resolve({ ok: false, error: { code: err.code ?? null, message: err.message } }));
      return;
    }
    if (child.stdin) {
      child.stdin.on("error", () => {
        // EPIPE when the agent exits without reading its prompt; its exit code tells the story.
      });
      child.stdin.end(request.stdin);
    }
    resolve({ ok: true, child: child as AgentProcess, via: "in-process" });
  });
}

/**
 * How this thread spawns agents (GET /api/scheduler/status `executor.spawner`): `process`
 * through spawner processes (with their count), `in-process` when AGENTCRON_SPAWNERS=0 or a
 * spawner could not start (`reason`).
 */
export interface SpawnerStatus {
  mode: "process" | "in-process";
  processes: number;
  /** The spawner script in use (mode `process`): `posix` (vfork, ADR 0033) or `node` (fork, ADR 0028); null in-process. */
  kind: SpawnerScript["kind"] | null;
  /** Why spawns are in-process, or why the posix spawner was given up for the Node one; null otherwise. */
  reason: string | null;
  /**
   * Spawner processes that died while in use since this thread started them (a crash or a
   * kill; each took the agents it had started with it, their runs failed `agent_error`). A new
   * spawner takes the next start. Retired spawners and ones that never said ready don't count.
   */
  deaths: number;
  /** The newest of those deaths, or null. */
  lastDeath: SpawnerDeath | null;
}

/** A spawner process's death: why (`exited with code 1`, `killed by SIGKILL`, …) and when (ISO 8601). */
export interface SpawnerDeath {
  cause: string;
  at: string;
}

export function spawnerStatus(): SpawnerStatus {
  const p = pool();
  const deaths = { deaths: p.deaths, lastDeath: p.lastDeath };
  if (poolSize() === 0) return { mode: "in-process", processes: 0, kind: null, reason: "AGENTCRON_SPAWNERS=0", ...deaths };
  if (p.unavailable) return { mode: "in-process", processes: 0, kind: null, reason: p.unavailable, ...deaths };
  return { mode: "process", processes: poolSize(), kind: p.scripts[0].kind, reason: p.fellBack, ...deaths };
}

/**
 * Starts this thread's spawner processes so the first run doesn't wait for one to load.
 * Resolves (never rejects) once each answered or the pool fell back to in-process.
 */
export async function warmSpawners(): Promise<void> {
  while (poolSize() > 0 && !pool().unavailable) {
    const started = Array.from({ length: poolSize() }, (_, i) => liveSpawner(i));
    const ready = await Promise.all(started.map((s) => readyWithin(s, SPAWNER_READY_TIMEOUT_MS)));
    const failed = started.find((_, i) => !ready[i]);
    if (!failed) return;
    giveUpScript(failed);
  }
}

/** The spawners this thread started (tests: kill one to see its runs fail). */
export function currentSpawners(): SpawnerProcess[] {
  return pool().spawners.filter((s): s is SpawnerProcess => s !== null && !s.dead);
}

/**
 * Sets the spawner scripts this thread tries, best first, and forgets its spawners and any
 * fallback (tests: a script that cannot start exercises the fallback; one kind alone runs the
 * suite against it). `null` restores the default (defaultSpawnerScripts).
 */
export function resetSpawners(scripts: SpawnerScript[] | null = null): void {
  const p = pool();
  for (const s of p.spawners) s?.close();
  p.spawners = [];
  p.unavailable = null;
  p.fellBack = null;
  p.deaths = 0;
  p.lastDeath = null;
  p.scripts = scripts ?? defaultSpawnerScripts();
}

/** Closes this thread's spawner processes (shutdown; tests). Agents already started are unaffected. */
export function closeSpawners(): void {
  const p = pool();
  for (const s of p.spawners) s?.close();
  p.spawners = [];
}

