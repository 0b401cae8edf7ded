import "server-only";
import fs from "node:fs";
import os from "node:os";
import pidtree from "pidtree";
import { env } from "../env";
import { processSingleton } from "../process-singleton";
import { killOwnedGroupsNow, processStartTime, readProcessTable, type OwnedProcessGroup } from "./process-table";

/** Longest grace between SIGTERM and SIGKILL (issue #4: ≤ 5 s). */
export const MAX_KILL_GRACE_MS = 5_000;

/**
 * Every live descendant of `pid` (children, grandchildren …), not including `pid`.
 * Empty when `pid` is gone or `ps` fails: killing is best effort, never a throw.
 */
export async function descendantPids(pid: number): Promise<number[]> {
  try {
    return await pidtree(pid);
  } catch {
    return [];
  }
}

/**
 * True while a process with this pid exists and is not a zombie. A zombie has exited
 * and only waits for its parent (or an init that may never reap it) to collect it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3 (state) follows the parenthesised command name, which may contain spaces.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no procfs (macOS): signal 0 is the best we have
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Kills a process tree: SIGTERM to the root's process group and to every descendant
 * collected *before* the root can die (an orphan is re-parented to init and can no
 * longer be found through its parent), then SIGKILL to everything still alive after
 * `graceMs`. Descendants are re-collected during the grace period so children spawned
 * while shutting down are caught too.
 *
 * The root is expected to have been spawned `detached` (its own process group, pgid =
 * pid), so `kill(-pid)` also reaches descendants that left the tree but not the group.
 *
 * @param pid the root process id.
 * @param graceMs wait between SIGTERM and SIGKILL, capped at MAX_KILL_GRACE_MS.
 * @param collected descendants the caller already collected (e.g. before it let the
 *   root start a graceful shutdown that may orphan them).
 * @returns every pid that was signalled (root first); all of them are dead when it
 *   resolves unless the OS refused the SIGKILL.
 */
export async function killProcessTree(pid: number, graceMs = 2_000, collected: number[] = []): Promise<number[]> {
  const grace = Math.min(Math.max(0, graceMs), MAX_KILL_GRACE_MS);
  const known = new Set<number>([pid, ...collected, ...(await descendantPids(pid))]);
  signal(-pid, "SIGTERM");
  for (const p of known) signal(p, "SIGTERM");

  const deadline = Date.now() + grace;
  while (Date.now() < deadline) {
    for (const p of await descendantPids(pid)) {
      if (!known.has(p)) {
        known.add(p);
        signal(p, "SIGTERM");
      }
    }
    if ([...known].every((p) => !isAlive(p))) return [...known];
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const p of await descendantPids(pid)) known.add(p);
  signal(-pid, "SIGKILL");
  for (const p of known) signal(p, "SIGKILL");
  // SIGKILL is asynchronous for zombies' parents; wait briefly until they are reaped.
  const killDeadline = Date.now() + 1_000;
  while (Date.now() < killDeadline && [...known].some(isAlive)) await new Promise((r) => setTimeout(r, 20));
  return [...known];
}

/** What trackProcessGroup needs of a started agent: a node ChildProcess, or a spawner's RemoteChild (ADR 0028). */
export interface TrackableProcess {
  readonly pid?: number;
  once(event: "exit", listener: () => void): unknown;
}

/** Root pids of the detached agent processes alive in this server process. */
const trackedRoots = () => processSingleton("agent-process-roots", () => new Set<number>());

/** Hears this thread's run roots come and go (the executor host's worker mirrors them to the main thread). */
export interface TrackedRootObserver {
  added(group: OwnedProcessGroup): void;
  removed(pid: number): void;
}

let rootObserver: TrackedRootObserver | null = null;

/** Sets (or clears, with null) the one observer of trackProcessGroup's set. */
export function observeTrackedRoots(observer: TrackedRootObserver | null): void {
  rootObserver = observer;
}

/**
 * Adds a run root spawned by another thread of this process (the executor host's worker) to
 * this thread's tracked set, so killTrackedProcessGroupsNow reaches it at shutdown; `forget`
 * removes it once it exited.
 */
export const trackedRootsMirror = {
  adopt: (pid: number) => void trackedRoots().add(pid),
  forget: (pid: number) => void trackedRoots().delete(pid),
};

/**
 * Lowers the CPU priority of a run root by AGENTCRON_AGENT_NICE (default 10) below the
 * server's main thread, capped at 19 (ADR 0029): agents are background work, and on a small machine eight busy
 * agents otherwise take the cores from the thread that streams the chat. What the root
 * spawns afterwards inherits it. Raising a nice value needs no privilege; a root that
 * already exited is left alone (never a throw).
 */
export function lowerAgentPriority(pid: number): void {
  const nice = agentNiceValue();
  if (nice == null) return;
  try {
    os.setPriority(pid, nice);
  } catch {
    // ESRCH: it exited already; EACCES can't happen when raising the value.
  }
}

/**
 * The nice value (-20…19) an agent process gets (ADR 0029): AGENTCRON_AGENT_NICE above the
 * main thread's, capped at 19; null when AGENTCRON_AGENT_NICE=0 (agents keep what they inherit).
 * A spawner process sets it on the agents it starts (ADR 0028), the moment they exist.
 */
export function agentNiceValue(): number | null {
  const by = env().AGENTCRON_AGENT_NICE;
  return by > 0 ? agentNice(by) : null;
}

/**
 * The nice value for background work: `by` above the MAIN thread's (its tid is the pid), not
 * the caller's — a root spawned by the already-lowered host thread inherits that thread's.
 */
function agentNice(by: number): number {
  return Math.min(19, os.getPriority(process.pid) + by);
}

/**
 * The same for the calling THREAD (the executor host's worker, ADR 0029): on Linux the nice
 * value is per thread and `setpriority(PRIO_PROCESS, 0)` sets the caller's only, so the
 * main thread — the chat, the API, the scheduler's decisions — keeps its priority. Elsewhere
 * it would lower the whole process, so it does nothing. Returns the nice value set, or null.
 */
export function lowerThisThreadPriority(): number | null {
  const by = env().AGENTCRON_AGENT_NICE;
  if (by <= 0 || process.platform !== "linux") return null;
  try {
    const nice = agentNice(by);
    os.setPriority(0, nice);
    return nice;
  } catch {
    return null;
  }
}

/**
 * Records a detached run root (its pid is its process group id) until it exits, so a
 * server shutdown can still reach it when there is no time left for a graceful abort,
 * hands its pid to the run's `onProcessGroup` (RunInput) for the durable record, and
 * lowers its CPU priority (lowerAgentPriority).
 * Every runtime calls this right after `spawn(…, {detached: true})`.
 */
export function trackProcessGroup(child: TrackableProcess, onProcessGroup?: (pgid: number) => void): OwnedProcessGroup | null {
  const pid = child.pid;
  if (!pid) return null;
  lowerAgentPriority(pid);
  const startTime = processStartTime(pid);
  trackedRoots().add(pid);
  if (startTime != null) rootObserver?.added({ pgid: pid, startTime });
  try {
    onProcessGroup?.(pid);
  } catch (err) {
    console.error(`[agentcron] could not record agent process group ${pid}`, err);
  }
  child.once("exit", () => {
    trackedRoots().delete(pid);
    rootObserver?.removed(pid);
  });
  return startTime == null ? null : { pgid: pid, startTime };
}

/**
 * After a run root exited normally: SIGKILL, synchronously, to what it left in its process
 * group and to every descendant of those, including children that moved to a session of
 * their own while their parent still lives (issue #10: a normal completion leaves no
 * descendant behind). `group` is what trackProcessGroup returned; without it (the root
 * exited before its start stamp could be read) only the group is signalled.
 */
export function killGroupLeftovers(group: OwnedProcessGroup | null, pid: number | undefined): void {
  if (group) killOwnedGroupsNow([group], 0);
  else if (pid) signal(-pid, "SIGKILL");
}

/**
 * Last resort at server shutdown: SIGKILL, synchronously, to the process group of every
 * tracked run root that is still running and to every descendant of its members (found
 * in the process table, so children that moved to a group of their own go too).
 * Synchronous because the process may exit right after (Next.js exits on SIGTERM unless
 * NEXT_MANUAL_SIG_HANDLE is set).
 * @returns the root pids signalled.
 */
export function killTrackedProcessGroupsNow(): number[] {
  const roots = [...trackedRoots()];
  if (roots.length) {
    const table = readProcessTable();
    // A tracked root is ours until it exits (then it is untracked): its current start stamp is the recorded one.
    const groups = roots.map((pid) => ({ pgid: pid, startTime: table.find((p) => p.pid === pid)?.startTime ?? 0 }));
    killOwnedGroupsNow(groups, 0);
    for (const pid of roots) {
      signal(-pid, "SIGKILL");
      signal(pid, "SIGKILL");
    }
  }
  trackedRoots().clear();
  return roots;
}
