import "server-only";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import pidtree from "pidtree";
import { processSingleton } from "../process-singleton";

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

/** Root pids of the detached agent processes alive in this server process. */
const trackedRoots = () => processSingleton("agent-process-roots", () => new Set<number>());

/**
 * Records a detached run root (its pid is its process group id) until it exits, so a
 * server shutdown can still reach it when there is no time left for a graceful abort.
 * Every runtime calls this right after `spawn(…, {detached: true})`.
 */
export function trackProcessGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (!pid) return;
  trackedRoots().add(pid);
  child.once("exit", () => trackedRoots().delete(pid));
}

/**
 * Last resort at server shutdown: SIGKILL, synchronously, to the process group of every
 * tracked run root that is still running. Synchronous because the process may exit right
 * after (Next.js exits on SIGTERM unless NEXT_MANUAL_SIG_HANDLE is set). Reaches every
 * descendant that stayed in the root's group; the graceful path (`killProcessTree` on
 * abort) is what also finds descendants that left it.
 * @returns the root pids signalled.
 */
export function killTrackedProcessGroupsNow(): number[] {
  const roots = [...trackedRoots()];
  for (const pid of roots) {
    signal(-pid, "SIGKILL");
    signal(pid, "SIGKILL");
  }
  trackedRoots().clear();
  return roots;
}
