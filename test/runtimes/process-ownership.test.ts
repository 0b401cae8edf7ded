import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandRuntime } from "@/lib/runtimes/command";
import { isAlive, descendantPids, killTrackedProcessGroupsNow, trackProcessGroup } from "@/lib/runtimes/process-tree";
import { identifyGroup, killOwnedGroupsNow, processStartTime } from "@/lib/runtimes/process-table";
import type { AgentEvent } from "@/lib/runtimes/types";

const AGENT = path.resolve(__dirname, "../fixtures/scripted-agent.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-ownership-"));
const spawned: number[] = [];
afterAll(() => {
  for (const pid of spawned) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const readPids = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : []);

/** A detached group: sh (leader) → sleep in the group, and → setsid sleep (a session of its own). */
async function spawnGroup(script = "sleep 60 & setsid sleep 60 & wait") {
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  const pgid = child.pid!;
  const startTime = processStartTime(pgid)!;
  const kids = await until(() => descendantPids(pgid), (p) => p.length >= 2, "two children");
  spawned.push(pgid, ...kids);
  return { child, group: { pgid, startTime }, pids: [pgid, ...kids] };
}

describe("process identity (pid + start stamp) and the owned-group kill (ADR 0005)", () => {
  it("reads the start stamp of a live process, and none for a gone one", async () => {
    const own = processStartTime(process.pid);
    expect(Number.isInteger(own)).toBe(true);
    expect(processStartTime(process.pid)).toBe(own);
    const child = spawn("sh", ["-c", "exit 0"]);
    const pid = child.pid!;
    await new Promise((r) => child.once("exit", r));
    await until(() => processStartTime(pid), (v) => v === null, "the exited child to be reaped");
  });

  it("a recorded pid whose start stamp differs (a reused pid) is not touched", async () => {
    const { group, pids } = await spawnGroup();
    const reused = { pgid: group.pgid, startTime: group.startTime + 1 };
    expect(identifyGroup(reused)).toEqual([]);
    expect(killOwnedGroupsNow([reused])).toEqual({ killed: [], alive: [] });
    expect(pids.every(isAlive)).toBe(true);
    killOwnedGroupsNow([group]);
  });

  it("kills the leader, its group and a grandchild that left the group, synchronously", async () => {
    const { group, pids } = await spawnGroup();
    expect(identifyGroup(group).sort()).toEqual([...pids].sort());
    const res = killOwnedGroupsNow([group]);
    expect(res.alive).toEqual([]);
    expect(res.killed.sort()).toEqual([...pids].sort());
    expect(pids.some(isAlive)).toBe(false);
  });

  it("after the leader exited, the survivors of its group (and their descendants) are still found", async () => {
    const child = spawn("sh", ["-c", "sh -c 'setsid sleep 60 & wait' & sleep 60 & exit 0"], { detached: true, stdio: "ignore" });
    const group = { pgid: child.pid!, startTime: processStartTime(child.pid!)! };
    await new Promise((r) => child.once("exit", r));
    // sh, sleep (both in the group) and the setsid sleep (own session, child of the inner sh).
    const left = await until(() => identifyGroup(group), (p) => p.length >= 3, "the group's survivors");
    spawned.push(...left);
    expect(killOwnedGroupsNow([group]).alive).toEqual([]);
    expect(left.some(isAlive)).toBe(false);
  });

  it("the shutdown sweep also takes a tracked run's grandchild that left its group", async () => {
    const { child, pids } = await spawnGroup();
    trackProcessGroup(child);
    expect(killTrackedProcessGroupsNow()).toEqual([child.pid]);
    await until(() => pids.filter(isAlive), (p) => p.length === 0, "every process of the run to die");
  });
});

describe("a normal completion leaves no descendant behind", () => {
  it("command runtime: children the agent left running, and their grandchildren in sessions of their own, are killed when it exits", async () => {
    const pidFile = path.join(tmp, "leave.txt");
    const runtime = commandRuntime({
      command: [process.execPath, AGENT, "--format", "claude-stream-json", "--children", "2", "--setsid-grandchildren", "--leave-children", "--pid-file", pidFile],
      promptVia: "stdin",
      outputFormat: "claude-stream-json",
      env: {},
    });
    const groups: number[] = [];
    const events: AgentEvent[] = [];
    for await (const e of runtime.run({ prompt: "hi", maxTurns: 5, signal: new AbortController().signal, onProcessGroup: (pgid) => groups.push(pgid) })) events.push(e);
    expect(events.at(-1)).toMatchObject({ type: "result", result: { status: "success" } });
    const pids = readPids(pidFile);
    spawned.push(...pids);
    expect(pids).toHaveLength(5); // agent, 2 children, 2 grandchildren
    expect(groups).toEqual([pids[0]]); // the run reported its process group for the durable record
    await until(() => pids.filter(isAlive), (p) => p.length === 0, "no process of the run left");
  });
});
