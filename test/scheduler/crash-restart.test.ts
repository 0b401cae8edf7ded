/**
 * Issue #10 faults 1 and 2 with real processes: a real runner (test/support/crash-runner.mts,
 * a child process booted like the server) runs a real agent with grandchildren, is killed
 * with SIGKILL, and a new runner starts on the same SQLite file on the same host.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { INTERRUPTED_ERROR, reconcileStreamingMessages } from "@/lib/chat/reconcile";
import { getDb } from "@/lib/db/client";
import { clearAgentProcessRecord } from "@/lib/db/queries/task-runs";
import { rowsOf } from "../support/rows";
import { isAlive } from "@/lib/runtimes/process-tree";
import { processStartTime, thisHost } from "@/lib/runtimes/process-table";
import { claimSlot } from "@/lib/scheduler/slot-claim";
import { runnerIsGone } from "@/lib/scheduler/runner-liveness";
import { RUNNER_STALE_MS } from "@/lib/scheduler/tuning";
import { FakeClock } from "@/lib/time/clock";
import { makeConversation, makeMessage, makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { eventsOf, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { TestRuntime, waitFor } from "../support/test-runtime";

const ROOT = path.resolve(__dirname, "../..");
const AGENT = path.join(ROOT, "test/fixtures/scripted-agent.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-crash-"));
const leftovers: number[] = [];
let runnerProcess: ChildProcess | null = null;

beforeEach(async () => truncateAll());
afterEach(async () => {
  runnerProcess?.kill("SIGKILL");
  runnerProcess = null;
  await stopTestSchedulers();
});
afterAll(() => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const readPids = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : []);

/** Starts a real runner process on this test file's data dir; resolves with its runner id once booted. */
async function startRunnerProcess(): Promise<{ child: ChildProcess; runnerId: string }> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(ROOT, "test/support/crash-runner.mts")], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  runnerProcess = child;
  let out = "";
  child.stderr!.on("data", (d) => (out += d));
  const runnerId = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /ready (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`runner exited ${code}:\n${out}`)));
    setTimeout(() => reject(new Error(`runner did not boot:\n${out}`)), 60_000);
  });
  return { child, runnerId };
}

describe("a runner killed with SIGKILL, and a new runner on the same host (issue #10 faults 1–2)", () => {
  it("the new runner kills the old agent and its grandchildren BEFORE runtime_recovery and the retry, claims the freed slot in its first pass, and finalizes the dead runner's chat reply at once", async () => {
    await setCap(1);
    const pidFile = path.join(tmp, "agent.txt");
    const runtime = await makeRuntime({
      isDefault: true,
      config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", "--hang", "--children", "2", "--setsid-grandchildren", "--pid-file", pidFile], promptVia: "stdin", outputFormat: "claude-stream-json" },
    });
    const now = Date.now();
    const sched = await makeSchedule({ cronExpression: "0 3 1 1 *", maxAttempts: 2, runtimeId: runtime.id });
    const other = await makeSchedule({ cronExpression: "0 3 1 1 *", runtimeId: runtime.id });
    const long = await makeTask({ scheduleId: sched.id, runtimeId: runtime.id, sourceType: "scheduled", plannedAt: now - 2_000, maxAttempts: 2, createdAt: now - 2_000 });
    const waiting = await makeTask({ scheduleId: other.id, runtimeId: runtime.id, sourceType: "scheduled", plannedAt: now - 1_000, createdAt: now - 1_000 });

    const { child, runnerId: deadRunner } = await startRunnerProcess();
    await waitFor(async () => readPids(pidFile).length >= 5 && (await taskById(long.id)).agentProcessGroups != null, "agent + 2 children + 2 grandchildren", 30_000);
    const oldPids = readPids(pidFile);
    leftovers.push(...oldPids);
    const recorded = await taskById(long.id);
    expect(recorded).toMatchObject({ status: "running", runnerId: deadRunner, agentHost: thisHost() });
    expect(recorded.agentProcessGroups).toEqual([{ pgid: oldPids[0], startTime: processStartTime(oldPids[0]) }]);
    expect((await taskById(waiting.id)).status).toBe("queued"); // cap 1
    const conv = await makeConversation();
    const reply = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "half", runnerId: deadRunner });

    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(oldPids.every(isAlive)).toBe(true); // detached agents outlive their server

    // A quick restart: the dead runner's heartbeat is seconds old, far from RUNNER_STALE_MS.
    const restartAt = Date.now();
    expect(restartAt - (await rowsOf("runners")).find((r) => r.id === deadRunner)!.heartbeatAt).toBeLessThan(RUNNER_STALE_MS);
    const testRuntime = new TestRuntime({ hold: true });
    const s = await startTestScheduler({ runtime: testRuntime, clock: new FakeClock(restartAt) });

    // First pass: the old agent and every grandchild are gone already (killed before the write) …
    expect(oldPids.filter(isAlive)).toEqual([]);
    expect(await taskById(long.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery", agentProcessGroups: null });
    const retry = (await tasksOf(sched.id)).find((t) => t.parentTaskId === long.id)!;
    expect(retry).toMatchObject({ status: "queued", attempt: 2, agentProcessGroups: null, agentHost: null });
    expect((await eventsOf(sched.id)).map((e) => e.kind)).toContain("runtime_recovery");
    // … and the freed slot went to the waiting task at once, not after the 30 s heartbeat timeout.
    expect(s.loop.lastPass!.recovered).toBe(1);
    expect(await taskById(waiting.id)).toMatchObject({ status: "running", runnerId: s.runnerId });
    // The dead runner's chat reply is finalized at once (boot reconcile).
    expect(await reconcileStreamingMessages(getDb(), s.runnerId, restartAt)).toBe(1);
    expect((await rowsOf("chatMessages")).find((m) => m.id === reply.id)).toMatchObject({ status: "error", content: "half", error: INTERRUPTED_ERROR });

    // The retry starts after its backoff, with none of its parent's processes alive.
    testRuntime.runs[0].release();
    await s.loop.idle();
    s.clock.set(retry.notBefore!);
    await s.loop.runPass();
    expect((await taskById(retry.id)).status).toBe("running");
    expect(oldPids.filter(isAlive)).toEqual([]);
  });
});

describe("runner liveness on this host (issue #10 fault 2)", () => {
  const base = { hostKey: thisHost(), heartbeatAt: T0, stoppedAt: null };
  it("a runner whose pid is gone, or whose pid now belongs to a process with another start stamp, is gone at once; a live one is not", () => {
    const me = processStartTime(process.pid)!;
    expect(runnerIsGone({ ...base, pid: process.pid, processStartTime: me }, T0)).toBe(false);
    expect(runnerIsGone({ ...base, pid: process.pid, processStartTime: me + 1 }, T0)).toBe(true); // pid reused
    expect(runnerIsGone({ ...base, pid: 2 ** 22 + 1, processStartTime: me }, T0)).toBe(true); // no such process
    // Another host: its pids mean nothing here, the heartbeat timeout decides.
    const elsewhere = { ...base, hostKey: "another-host", pid: 2 ** 22 + 1, processStartTime: me };
    expect(runnerIsGone(elsewhere, T0 + RUNNER_STALE_MS)).toBe(false);
    expect(runnerIsGone(elsewhere, T0 + RUNNER_STALE_MS + 1)).toBe(true);
    expect(runnerIsGone({ ...base, pid: process.pid, processStartTime: me, stoppedAt: T0 }, T0)).toBe(true);
  });
});

describe("a retry never starts while its parent's processes live (ADR 0005)", () => {
  it("is not claimed while the parent still records agent process groups, and is once they are released", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "0 3 1 1 *" });
    const parent = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0, status: "failed", agentProcessGroups: [{ pgid: 12345, startTime: 1 }], agentHost: thisHost() });
    const retry = await makeTask({ scheduleId: sched.id, sourceType: "retry", plannedAt: T0, parentTaskId: parent.id, attempt: 2 });
    const claim = async () => claimSlot(getDb(), { taskId: retry.id, runnerId: "r1", now: T0, cap: 5, defaultLeaseSec: 600 });
    expect(await claim()).toBe(false);
    await clearAgentProcessRecord(getDb(), parent.id);
    expect(await claim()).toBe(true);
  });
});
