import "server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import type { OwnedProcessGroup } from "../db/schema";

/**
 * Process identity for durable ownership (issue #10 fault 1, ADR 0005). A pid alone is
 * not an identity: after a crash the OS may hand it to an unrelated process. A pid plus
 * its **start stamp** is — Linux `/proc/<pid>/stat` field 22 (starttime, clock ticks
 * since boot); elsewhere `ps -o lstart` (seconds since the epoch). Stamps are only ever
 * compared on the host that took them (see `thisHost`).
 */

/** One live process: parent, process group and start stamp. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Opaque per-host start stamp (Linux: clock ticks since boot). */
  startTime: number;
  zombie: boolean;
}

export type { OwnedProcessGroup };

const HAS_PROC = fs.existsSync("/proc/self/stat");

let hostKey: string | null = null;

/**
 * Where a pid means something: the host name, plus the pid namespace on Linux (two
 * containers sharing a data dir and a host name still see different pids). Stamped on
 * runner rows (`hostKey`) and on the agent processes a task records (`agentHost`); pids
 * and start stamps are only compared under the same key.
 */
export function thisHost(): string {
  if (hostKey) return hostKey;
  let ns = "";
  try {
    ns = fs.readlinkSync("/proc/self/ns/pid");
  } catch {
    // no procfs: the host name alone
  }
  hostKey = ns ? `${os.hostname()} ${ns}` : os.hostname();
  return hostKey;
}

function parseStat(pid: number, stat: string): ProcessInfo | null {
  // The command name (field 2) is parenthesised and may hold spaces or ')': split after the last ')'.
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(" ");
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const startTime = Number(fields[22 - 3]);
  if (!Number.isFinite(startTime)) return null;
  return { pid, ppid: Number(fields[4 - 3]), pgid: Number(fields[5 - 3]), startTime, zombie: fields[0] === "Z" };
}

function readProcStat(pid: number): ProcessInfo | null {
  try {
    return parseStat(pid, fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

function psTable(pid?: number): ProcessInfo[] {
  try {
    const out = execFileSync("ps", [...(pid ? ["-p", String(pid)] : ["-A"]), "-o", "pid=,ppid=,pgid=,stat=,lstart="], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C", TZ: "UTC" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const rows: ProcessInfo[] = [];
    for (const line of out.split("\n")) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
      if (!m) continue;
      const started = Date.parse(`${m[5]} UTC`);
      if (!Number.isFinite(started)) continue;
      rows.push({ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), startTime: started / 1000, zombie: m[4].startsWith("Z") });
    }
    return rows;
  } catch {
    return [];
  }
}

/** The live process with this pid (zombies excluded), or null. Synchronous. */
export function processInfo(pid: number): ProcessInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const info = HAS_PROC ? readProcStat(pid) : (psTable(pid)[0] ?? null);
  return info && !info.zombie ? info : null;
}

/** The start stamp of a live process, or null when there is none with this pid. */
export function processStartTime(pid: number): number | null {
  return processInfo(pid)?.startTime ?? null;
}

/** Every live process of the host (zombies excluded). Synchronous: one read per /proc entry. */
export function readProcessTable(): ProcessInfo[] {
  if (!HAS_PROC) return psTable().filter((p) => !p.zombie);
  const rows: ProcessInfo[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const info = readProcStat(Number(name));
    if (info && !info.zombie) rows.push(info);
  }
  return rows;
}

/**
 * The processes still identifiable as a recorded group's: its leader when it is still the
 * same process (pid and start stamp), every member of the group started no earlier than
 * the leader, and every descendant of those (children that moved to a group of their own
 * are still found through their parent). Nothing when the pgid now leads an unrelated
 * group (the pid was reused: the leader has another start stamp).
 *
 * A group outlives its leader, and Linux never hands out a pid that is still some group's
 * id, so members of `pgid` without a leader are the recorded group's survivors. The one
 * case this cannot tell apart — the group died out, its pid was reused by a new session
 * leader that died too, leaving members behind — needs a full pid wrap-around between the
 * crash and the recovery.
 */
export function identifyGroup(group: OwnedProcessGroup, table: ProcessInfo[] = readProcessTable()): number[] {
  const leader = table.find((p) => p.pid === group.pgid);
  if (leader && leader.startTime !== group.startTime) return [];
  const found = new Set<number>();
  for (const p of table) if (p.pgid === group.pgid && p.startTime >= group.startTime) found.add(p.pid);
  if (leader) found.add(leader.pid);
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const stack = [...found];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (!found.has(c)) {
        found.add(c);
        stack.push(c);
      }
    }
  }
  found.delete(process.pid); // never this server (a test may record its own group)
  return [...found];
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Kills, synchronously and with SIGKILL, every process still identifiable as one of the
 * recorded groups' (identifyGroup), then waits up to `waitMs` (blocking; default 500 ms)
 * until none is left running. For recovery: the agents' server is gone, nobody is there
 * to shut them down gracefully, and the retry must not start beside them.
 * @returns `killed`: pids signalled; `alive`: pids still running afterwards (empty on
 *   success — a process in uninterruptible sleep can outlast the wait).
 */
export function killOwnedGroupsNow(groups: readonly OwnedProcessGroup[], waitMs = 500): { killed: number[]; alive: number[] } {
  if (!groups.length) return { killed: [], alive: [] };
  const table = readProcessTable();
  const ownPgid = processInfo(process.pid)?.pgid;
  const byPid = new Map(table.map((p) => [p.pid, p]));
  const targets = new Map<number, number>();
  for (const g of groups) {
    const members = identifyGroup(g, table);
    for (const pid of members) targets.set(pid, byPid.get(pid)!.startTime);
    // The group is still the recorded one: signal it as a whole too, which also reaches
    // members forked after the table was read.
    if (g.pgid !== ownPgid && members.some((pid) => byPid.get(pid)!.pgid === g.pgid)) {
      try {
        process.kill(-g.pgid, "SIGKILL");
      } catch {
        // group already empty
      }
    }
  }
  for (const pid of targets.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  let alive = [...targets].filter(([pid, start]) => processStartTime(pid) === start).map(([pid]) => pid);
  while (alive.length && Date.now() < deadline) {
    Atomics.wait(pause, 0, 0, 10);
    alive = alive.filter((pid) => processStartTime(pid) === targets.get(pid));
  }
  return { killed: [...targets.keys()], alive };
}
