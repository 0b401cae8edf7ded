/**
 * The executor host (issue 15 item 1, ADR 0022): real agent processes (the scripted CLI
 * agent) run through the scheduler's launcher with the real clock and a real runtime row,
 * so they execute in the host's worker thread. Proves the main thread's event loop is not on
 * the run's path (events are persisted while it is blocked), and that abort, the live view's
 * bus, and the host's death behave as the inline executor does.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { databasePath, getDb } from "@/lib/db/client";
import { closeExecutorHost, executorHost, executorStatus } from "@/lib/runtimes/executor-host/host";
import { isAlive } from "@/lib/runtimes/process-tree";
import { taskEventBus } from "@/lib/runtimes/task-executor";
import type { SchedulerLoop } from "@/lib/scheduler/loop";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { abortRunningTask, getRunningTask } from "@/lib/scheduler/running-tasks";
import { startScheduler } from "@/lib/scheduler/start";
import { systemClock } from "@/lib/time/clock";
import { makeRuntime, makeTask, truncateAll } from "../factories";
import { taskById } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";
import { rowsOf } from "../support/rows";

const ROOT = path.resolve(__dirname, "../..");
const AGENT = path.join(ROOT, "test/fixtures/scripted-agent.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-host-"));
let loop: SchedulerLoop | null = null;

beforeEach(async () => truncateAll());
afterEach(async () => {
  await loop?.stop();
  loop = null;
});
afterAll(async () => {
  await closeExecutorHost();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const readPids = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : []);

/** A real-clock loop with the registry's resolver (no test runtime): its runs go to the host. */
async function startRealLoop(): Promise<SchedulerLoop> {
  const db = getDb();
  const runnerId = await registerRunner(db, systemClock.now());
  loop = await startScheduler({ db, clock: systemClock, runnerId, timers: false, retryBackoffMs: [60_000] });
  return loop;
}

/** Queues a task on a command runtime running the scripted agent with `args`, runs a pass, returns the task id. */
async function launchAgent(args: string[]): Promise<string> {
  const runtime = await makeRuntime({
    isDefault: true,
    config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", ...args], promptVia: "stdin", outputFormat: "claude-stream-json" },
  });
  const task = await makeTask({ runtimeId: runtime.id, createdAt: systemClock.now(), maxAttempts: 1 });
  const l = loop ?? (await startRealLoop());
  await l.runPass();
  expect(getRunningTask(task.id), "the pass claimed and launched the task").toBeDefined();
  return task.id;
}

/** Blocks this (the main) thread for `ms`: nothing on its event loop runs meanwhile. */
function blockMainThread(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: what a long synchronous pass or a CPU-heavy route looks like to the event loop
  }
}

describe("executor host (worker thread)", () => {
  it("is on by default and runs agents off the main thread: events are persisted while the main thread is blocked", async () => {
    expect(await executorHost(), "AGENTCRON_EXECUTOR defaults to thread").not.toBeNull();
    // Stream mode: 40 events/s for 2.5 s, persisted by the executor every 100 ms.
    const taskId = await launchAgent(["--rate", "40", "--duration-ms", "2500"]);
    await waitFor(async () => (await rowsOf("taskEvents")).some((e) => e.taskId === taskId), "the first persisted event", 10_000);
    const blockStart = Date.now();
    blockMainThread(1_000);
    const blockEnd = Date.now();
    await waitFor(async () => (await taskById(taskId)).status !== "running", "the run's end", 15_000);
    const task = await taskById(taskId);
    expect(task.status).toBe("completed");
    // The executor stamps each event when it reads it from the agent's stdout. Inline, nothing
    // is read while the main thread is blocked: every event of that second would be stamped
    // after blockEnd. In the host, they are read (and persisted) during the block.
    const during = (await rowsOf("taskEvents")).filter((e) => e.taskId === taskId && e.createdAt > blockStart + 100 && e.createdAt < blockEnd - 100);
    expect(during.length, "events read and persisted while the main thread was blocked").toBeGreaterThan(10);
  });

  it("forwards the live view's events to the main thread's taskEventBus, then its end", async () => {
    const seen: unknown[] = [];
    let ended = false;
    const bus = taskEventBus();
    const runtime = await makeRuntime({
      isDefault: true,
      config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", "--turns", "3"], promptVia: "stdin", outputFormat: "claude-stream-json" },
    });
    const task = await makeTask({ runtimeId: runtime.id, createdAt: systemClock.now(), maxAttempts: 1 });
    bus.on(`task:${task.id}`, (rows: unknown[]) => seen.push(...rows));
    bus.once(`end:${task.id}`, () => (ended = true));
    const l = await startRealLoop();
    await l.runPass();
    await waitFor(() => ended, "the end of the run on the bus", 15_000);
    // `end` is published when the run's events are all persisted, before the terminal write.
    await waitFor(async () => (await taskById(task.id)).status !== "running", "the terminal write", 5_000);
    expect((await taskById(task.id)).status).toBe("completed");
    const persisted = (await rowsOf("taskEvents")).filter((e) => e.taskId === task.id);
    expect(seen.length).toBe(persisted.length);
    expect(seen.map((r) => (r as { type: string }).type)).toEqual(persisted.sort((a, b) => a.id - b.id).map((e) => e.type));
  });

  it("forwards a cancel: the agent's whole process tree is killed and the task is cancelled", async () => {
    const pidFile = path.join(tmp, "cancel.pids");
    const taskId = await launchAgent(["--hang", "--children", "2", "--pid-file", pidFile]);
    await waitFor(() => readPids(pidFile).length >= 5, "the agent and its 2 children with grandchildren", 10_000);
    expect(abortRunningTask(taskId, "cancelled")).toBe(true);
    await waitFor(async () => (await taskById(taskId)).status !== "running", "the cancelled run's terminal write", 15_000);
    const task = await taskById(taskId);
    expect(task.status).toBe("cancelled");
    expect(task.failureReason).toBe("aborted");
    await waitFor(() => readPids(pidFile).every((pid) => !isAlive(pid)), "every process of the tree gone", 5_000);
  });

  it("a host that dies under a run: its agent processes are killed, the task fails agent_error, the next run gets a new host", async () => {
    const pidFile = path.join(tmp, "die.pids");
    const taskId = await launchAgent(["--hang", "--children", "1", "--pid-file", pidFile]);
    await waitFor(() => readPids(pidFile).length >= 3, "the agent, its child and grandchild", 10_000);
    const host = await executorHost();
    await waitFor(() => host!.running === 1, "the run held by the host");
    await host!.terminate();
    await waitFor(async () => (await taskById(taskId)).status !== "running", "the terminal write after the host died", 10_000);
    const task = await taskById(taskId);
    expect(task.status).toBe("failed");
    expect(task.failureReason).toBe("agent_error");
    expect(task.error).toMatch(/executor host died/);
    await waitFor(() => readPids(pidFile).every((pid) => !isAlive(pid)), "every process of the dead host's run gone", 5_000);

    const next = await executorHost();
    expect(next).not.toBe(host);
    const again = await launchAgent(["--turns", "2"]);
    await waitFor(async () => (await taskById(again)).status !== "running", "the next run", 15_000);
    expect((await taskById(again)).status).toBe("completed");
  });

  const onSqlite = getDb().$dialect === "sqlite" ? it : it.skip;
  onSqlite("checkpoints the WAL off the main thread, on the checkpointer thread the host starts: the main thread's commits don't have to (ADR 0022, 0034)", async () => {
    const taskId = await launchAgent(["--turns", "40"]);
    await waitFor(async () => (await taskById(taskId)).status !== "running", "the run", 15_000);
    // The run's events went to the WAL (far below SQLite's 1,000-page auto-checkpoint). The main
    // file is written only by checkpoints: once the checkpointer ran one, it was modified after.
    const doneAt = Date.now();
    await new Promise((r) => setTimeout(r, 20));
    await waitFor(() => fs.statSync(databasePath()).mtimeMs > doneAt, "a checkpoint into the main file", 5_000);
    expect((await rowsOf("taskEvents")).filter((e) => e.taskId === taskId).length).toBeGreaterThan(40);
  });

  it("runs agents and the host's thread at a lower CPU priority than the main thread (AGENTCRON_AGENT_NICE, default 10; ADR 0029)", async () => {
    const niceOf = (statPath: string) => {
      const stat = fs.readFileSync(statPath, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]); // field 19: nice
    };
    const base = niceOf(`/proc/${process.pid}/task/${process.pid}/stat`);
    const pidFile = path.join(tmp, "nice.pids");
    const taskId = await launchAgent(["--hang", "--children", "1", "--pid-file", pidFile]);
    await waitFor(() => readPids(pidFile).length >= 3, "the agent, its child and grandchild", 10_000);
    // The root, and what it spawned after its priority was lowered, run 10 below the server.
    expect(readPids(pidFile).map((pid) => niceOf(`/proc/${pid}/stat`))).toEqual(readPids(pidFile).map(() => Math.min(19, base + 10)));
    // This process's threads: the main thread keeps its priority; one thread (the host's worker) is lowered.
    const threads = fs.readdirSync(`/proc/${process.pid}/task`).map((tid) => ({ tid: Number(tid), nice: niceOf(`/proc/${process.pid}/task/${tid}/stat`) }));
    expect(threads.find((t) => t.tid === process.pid)!.nice).toBe(base);
    expect(threads.filter((t) => t.nice === Math.min(19, base + 10)).length).toBeGreaterThanOrEqual(1);
    // The host's spawner processes were forked before its thread lowered itself: they start
    // agents at the server's priority, and the agents they start get the agents' (ADR 0028/0029).
    const spawners = fs.readdirSync("/proc").filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return ppid === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").match(/spawner-(process\.mjs|posix\.py)/) !== null;
      } catch {
        return false; // not a pid, or gone
      }
    });
    expect(spawners.length).toBeGreaterThan(0);
    expect(spawners.map((pid) => niceOf(`/proc/${pid}/stat`))).toEqual(spawners.map(() => base));
    expect(abortRunningTask(taskId, "cancelled")).toBe(true);
    await waitFor(() => readPids(pidFile).every((pid) => !isAlive(pid)), "every process of the tree gone", 5_000);
  });

  it("a spawner of the host's that dies is counted in the status the main thread reads (executor.spawner.deaths, lastDeath)", async () => {
    await executorHost();
    const pidFile = path.join(tmp, "spawner-death.pids");
    const taskId = await launchAgent(["--hang", "--pid-file", pidFile]);
    await waitFor(() => readPids(pidFile).length >= 1, "the agent's pid", 10_000);
    await waitFor(() => executorStatus().spawner !== null, "the host's spawner status", 10_000);
    const before = executorStatus().spawner!;
    expect(before).toMatchObject({ mode: "process", lastDeath: null });
    // The agent's parent is the host's spawner that started it.
    const agentStat = fs.readFileSync(`/proc/${readPids(pidFile)[0]}/stat`, "utf8");
    const spawnerPid = Number(agentStat.slice(agentStat.lastIndexOf(")") + 2).split(" ")[1]);
    expect(fs.readFileSync(`/proc/${spawnerPid}/cmdline`, "utf8")).toMatch(/spawner-(process\.mjs|posix\.py)/);
    process.kill(spawnerPid, "SIGKILL");
    await waitFor(() => executorStatus().spawner?.deaths === before.deaths + 1, "the death in the status", 10_000);
    expect(executorStatus().spawner).toMatchObject({ mode: "process", processes: before.processes, lastDeath: { cause: "killed by SIGKILL" } });
    // Its agent went with it, and the run says why.
    await waitFor(async () => (await taskById(taskId))?.status === "failed", "the run to fail", 10_000);
    expect(await taskById(taskId)).toMatchObject({ status: "failed", failureReason: "agent_error" });
    await waitFor(() => readPids(pidFile).every((pid) => !isAlive(pid)), "the agent gone", 5_000);
  });
});
