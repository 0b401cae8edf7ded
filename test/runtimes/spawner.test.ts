/**
 * The spawner processes (ADR 0028, ADR 0033) with real processes: agents of the command
 * runtime are started by a small long-lived process that hands their pipes back; the pids
 * are real, so cancel's process-tree kill works from here; a dead spawner fails its runs
 * agent_error and is replaced. Every test runs against each kind this machine has: the posix
 * spawner (python3, vfork) and the plain-Node one. A posix spawner that cannot start means
 * Node spawners; a Node spawner that cannot start means in-process spawns.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { commandRuntime } from "@/lib/runtimes/command";
import { commandConfigSchema } from "@/lib/runtimes/config";
import { descendantPids, isAlive } from "@/lib/runtimes/process-tree";
import { currentSpawners, defaultSpawnerScripts, resetSpawners, spawnAgent, spawnerEntry, spawnerStatus, spawnInProcess, warmSpawners, type AgentProcess, type AgentSpawnRequest, type SpawnerScript } from "@/lib/runtimes/spawner/client";
import { collect, waitFor } from "./harness";

const cfg = (c: Record<string, unknown>) => commandConfigSchema.parse(c);

async function readAll(child: AgentProcess): Promise<{ out: string; err: string; code: number | null; signal: string | null }> {
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once("close", (c, s) => resolve([c, s])));
  return { out, err, code, signal };
}

/** Starts an agent and reads it from the tick its start resolves in (a later reader could miss its 'close'). */
async function startAndRead(request: AgentSpawnRequest): Promise<Awaited<ReturnType<typeof readAll>>> {
  const started = await spawnAgent(request);
  if (!started.ok) throw new Error(started.error.message);
  return readAll(started.child);
}

afterAll(() => resetSpawners(null));

const kinds = defaultSpawnerScripts(); // each kind this machine can run, best first

it("this machine runs the posix spawner (CI installs python3; without it the suite covers only the Node one)", () => {
  // .ci/run installs Debian's python3: the posix spawner is what production uses there, so its
  // tests below must not be skipped silently.
  expect(kinds.map((k) => k.kind)).toEqual(["posix", "node"]);
});

describe.each(kinds.map((script) => ({ kind: script.kind, script })))("$kind spawner process", ({ kind, script }) => {
  beforeEach(() => resetSpawners([script]));
  afterEach(() => resetSpawners(null));

  it("says which kind starts agents", async () => {
    const started = await spawnAgent({ file: "true", args: [], env: { PATH: process.env.PATH! }, stdin: null });
    expect(started).toMatchObject({ ok: true, via: "spawner" });
    expect(spawnerStatus()).toEqual({ mode: "process", processes: 2, kind, reason: null, deaths: 0, lastDeath: null });
  });

  it("starts the agent in a spawner process: pid is a grandchild of ours, stdout, stderr, stdin and the exit code come through", async () => {
    const started = await spawnAgent({ file: "sh", args: ["-c", 'read line; echo "got $line"; echo oops >&2; echo "ppid $PPID"; exit 3'], env: { PATH: process.env.PATH! }, stdin: "the prompt\n" });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.via).toBe("spawner");
    const spawnerPids = currentSpawners().map((s) => s.pid);
    const { out, err, code, signal } = await readAll(started.child);
    expect(out).toContain("got the prompt\n");
    expect(err).toBe("oops\n");
    expect({ code, signal }).toEqual({ code: 3, signal: null });
    // Forked by a spawner, not by this process.
    const ppid = Number(/ppid (\d+)/.exec(out)![1]);
    expect(spawnerPids).toContain(ppid);
    expect(ppid).not.toBe(process.pid);
  });

  it("a large output arrives whole (the pipes are handed over before a byte is read)", async () => {
    const started = await spawnAgent({ file: "sh", args: ["-c", "seq 1 200000"], env: { PATH: process.env.PATH! }, stdin: null });
    if (!started.ok) throw new Error(started.error.message);
    const { out, code } = await readAll(started.child);
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines).toHaveLength(200_000);
    expect(lines[0]).toBe("1");
    expect(lines.at(-1)).toBe("200000");
  });

  it("a prompt larger than a pipe holds reaches the agent whole, and the next starts don't wait for it to be read", async () => {
    const prompt = "x".repeat(300_000) + "\n";
    // Two agents that read their stdin only after 3 s, one per spawner (each start is the least
    // busy ready spawner's); the third start goes to a spawner whose 300 kB write is still
    // pending, and must not wait behind it.
    await warmSpawners();
    const slow: AgentProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await spawnAgent({ file: "sh", args: ["-c", "sleep 3; wc -c"], env: { PATH: process.env.PATH! }, stdin: prompt });
      if (!started.ok) throw new Error(started.error.message);
      slow.push(started.child);
    }
    // Read from now on: a reader attached after an agent's close would wait forever.
    const slowOutputs = Promise.all(slow.map(readAll));
    const quick = await spawnAgent({ file: "sh", args: ["-c", "echo quick"], env: { PATH: process.env.PATH! }, stdin: null });
    if (!quick.ok) throw new Error(quick.error.message);
    expect((await readAll(quick.child)).out).toBe("quick\n");
    for (const s of slow) expect(s.exitCode).toBeNull(); // still asleep: the quick one did not wait for it
    for (const { out } of await slowOutputs) expect(out.trim()).toBe(String(prompt.length));
  });

  it("starts asked for in the same tick are shared among the spawners, not all sent to the first", async () => {
    await warmSpawners(); // both spawners are up
    const spawnerPids = currentSpawners().map((s) => s.pid);
    expect(spawnerPids).toHaveLength(2);
    const outputs = await Promise.all(Array.from({ length: 4 }, () => startAndRead({ file: "sh", args: ["-c", 'echo "ppid $PPID"; sleep 0.3'], env: { PATH: process.env.PATH! }, stdin: null })));
    const ppids = outputs.map(({ out }) => Number(/ppid (\d+)/.exec(out)![1]));
    expect(ppids.filter((p) => p === spawnerPids[0])).toHaveLength(2);
    expect(ppids.filter((p) => p === spawnerPids[1])).toHaveLength(2);
  });

  it("a spawner still starting up is not sent starts while another is ready", async () => {
    await warmSpawners();
    const [ready, doomed] = currentSpawners();
    doomed.kill();
    await waitFor(() => doomed.dead, 5_000, "the killed spawner to be seen dead");
    // The next pick starts a spawner in its place; it is not ready yet, so all three go to the ready one.
    const outputs = await Promise.all(Array.from({ length: 3 }, () => startAndRead({ file: "sh", args: ["-c", 'echo "ppid $PPID"'], env: { PATH: process.env.PATH! }, stdin: null })));
    expect(outputs.map(({ out }) => Number(/ppid (\d+)/.exec(out)![1]))).toEqual([ready.pid, ready.pid, ready.pid]);
  });

  it("silent agents that exit at once all end (EOF before the run's reader attached is kept)", async () => {
    // Each pipe arrives in its own message: an empty stdout can reach EOF before stderr is here.
    const runs = await Promise.all(Array.from({ length: 12 }, () => collect(commandRuntime(cfg({ command: ["true"] })))));
    for (const { result } of runs) expect(result).toMatchObject({ status: "success", turns: 0 });
  });

  it("the agent gets exactly the environment it was given, the same as an in-process spawn", async () => {
    const env = { PATH: process.env.PATH!, ONLY_THIS: "yes" };
    const via = await spawnAgent({ file: "env", args: [], env, stdin: null });
    if (!via.ok) throw new Error(via.error.message);
    const a = (await readAll(via.child)).out.trim().split("\n").sort();
    // An in-process ChildProcess must be read from the tick it was spawned in (as command.ts
    // does), or its 'close' can pass before a late listener.
    const inProc = await spawnInProcess({ file: "env", args: [], env, stdin: null });
    if (!inProc.ok) throw new Error(inProc.error.message);
    const b = (await readAll(inProc.child)).out.trim().split("\n").sort();
    expect(a).toEqual(b);
    expect(a).toEqual([`ONLY_THIS=yes`, `PATH=${process.env.PATH}`].sort());
  });

  it("a missing executable and a bad cwd are start failures, not crashes of the spawner", async () => {
    const missing = await spawnAgent({ file: "/opt/nope/agent", args: [], env: {}, stdin: null });
    expect(missing).toMatchObject({ ok: false, error: { code: "ENOENT" } });
    const badCwd = await spawnAgent({ file: "sh", args: ["-c", "true"], cwd: "/opt/nope-dir", env: {}, stdin: null });
    expect(badCwd).toMatchObject({ ok: false, error: { code: "ENOENT" } });
    const { result } = await collect(commandRuntime(cfg({ command: ["/opt/nope/agent-cli"] })));
    expect(result).toMatchObject({ status: "error", failureReason: "runtime_missing_executable" });
    // The same spawners still serve.
    const ok = await spawnAgent({ file: "true", args: [], env: { PATH: process.env.PATH! }, stdin: null });
    expect(ok).toMatchObject({ ok: true, via: "spawner" });
  });

  it("a lone surrogate in the prompt, an argument or a variable reaches the agent as U+FFFD, as an in-process spawn gives it; a NUL byte is a start failure; the spawner lives on", async () => {
    await warmSpawners();
    const spawnerPids = currentSpawners().map((s) => s.pid);
    expect(spawnerPids).toHaveLength(2);
    // What the fuzz test once sent as a prompt: "\ud800" ended the posix spawner (CI, 2026-12-04).
    // Each request is sent twice in one tick, so each of the two spawners gets one.
    const request = { file: "sh", args: ["-c", 'printf "%s|%s|" "$1" "$V"; cat', "sh", "x\udc00y"], env: { PATH: process.env.PATH!, V: "\ud83d" }, stdin: "a\ud800b" };
    const via = await Promise.all([startAndRead(request), startAndRead(request)]);
    expect(via.map((r) => r.out)).toEqual(["x\ufffdy|\ufffd|a\ufffdb", "x\ufffdy|\ufffd|a\ufffdb"]);
    const inProc = await spawnInProcess(request);
    if (!inProc.ok) throw new Error(inProc.error.message);
    expect((await readAll(inProc.child)).out).toBe(via[0].out);
    const bads: AgentSpawnRequest[] = [
      { file: "sh", args: ["-c", "echo a\0b"], env: { PATH: process.env.PATH! }, stdin: null },
      { file: "sh", args: ["-c", "true"], env: { PATH: process.env.PATH!, V: "a\0b" }, stdin: null },
      { file: "sh", args: ["-c", "true"], cwd: "/tmp\0x", env: { PATH: process.env.PATH! }, stdin: null },
    ];
    for (const bad of bads) {
      expect(await Promise.all([spawnAgent(bad), spawnAgent(bad)])).toMatchObject([{ ok: false }, { ok: false }]);
      expect(await spawnInProcess(bad)).toMatchObject({ ok: false });
    }
    // The same spawner processes, both alive, still start agents.
    expect(currentSpawners().map((s) => s.pid)).toEqual(spawnerPids);
    expect(spawnerStatus()).toMatchObject({ mode: "process", processes: 2, kind, reason: null, deaths: 0 });
    expect((await startAndRead({ file: "sh", args: ["-c", "echo still"], env: { PATH: process.env.PATH! }, stdin: null })).out).toBe("still\n");
    expect(currentSpawners().map((s) => s.pid)).toEqual(spawnerPids);
  });

  it("cancel kills the agent and its grandchild (process-group kill from this process)", async () => {
    const controller = new AbortController();
    let pgid = 0;
    const running = collect(commandRuntime(cfg({ command: ["sh", "-c", "sh -c 'sleep 300' & sleep 300; wait"] }), { killGraceMs: 200 }), {
      signal: controller.signal,
      onProcessGroup: (p) => (pgid = p),
    });
    const tree = await waitFor(async () => {
      if (!pgid) return null;
      const kids = await descendantPids(pgid);
      return kids.length >= 3 ? [pgid, ...kids] : null; // sleep, the inner sh and its sleep
    }, 10_000, "the agent's child and grandchild");
    expect(tree.every(isAlive)).toBe(true);
    controller.abort("cancelled");
    const { result } = await running;
    expect(result).toMatchObject({ status: "error", failureReason: "aborted", error: "Aborted (cancelled)" });
    await waitFor(() => !tree.some(isAlive), 5_000, "the whole tree to die");
  });

  it("a killed spawner kills its agents, fails their runs agent_error, and a new spawner takes the next run", async () => {
    let pgid = 0;
    const running = collect(commandRuntime(cfg({ command: ["sh", "-c", "sleep 300 & sleep 300; wait"] })), { onProcessGroup: (p) => (pgid = p) });
    const tree = await waitFor(async () => {
      if (!pgid) return null;
      const kids = await descendantPids(pgid);
      return kids.length >= 2 ? [pgid, ...kids] : null;
    }, 10_000, "the agent's children");
    const holder = currentSpawners().find((s) => s.load > 0)!;
    const holderPid = holder.pid!;
    expect(spawnerStatus()).toMatchObject({ deaths: 0, lastDeath: null });
    holder.kill();
    const { result } = await running;
    // The status counts it (GET /api/scheduler/status executor.spawner), with why and when.
    expect(spawnerStatus()).toMatchObject({ deaths: 1, lastDeath: { cause: "killed by SIGKILL", at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } });
    expect(result).toMatchObject({ status: "error", failureReason: "agent_error" });
    expect(result?.error).toContain("spawner process died");
    await waitFor(() => !tree.some(isAlive), 5_000, "the dead spawner's agents to die");

    const next = await collect(commandRuntime(cfg({ command: ["sh", "-c", "echo again"] })));
    expect(next.result).toMatchObject({ status: "success", text: "again" });
    expect(currentSpawners().map((s) => s.pid)).not.toContain(holderPid);
    // Closing (retiring) the spawners is not a death.
    resetSpawners([script]);
    await warmSpawners();
    expect(spawnerStatus()).toMatchObject({ deaths: 0 });
    const before = currentSpawners();
    resetSpawners([script]);
    await waitFor(() => before.every((s) => !isAlive(s.pid!)), 5_000, "the retired spawners to exit");
    expect(spawnerStatus()).toMatchObject({ deaths: 0, lastDeath: null });
  });

});

describe.runIf(kinds.some((k) => k.kind === "posix"))("posix spawner out of file descriptors", () => {
  let dir = "";
  afterEach(() => {
    resetSpawners(null);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The posix spawner with its python3 run under `ulimit -n limit`: each agent it watches holds a pidfd there. */
  function posixWithFdLimit(limit: number): SpawnerScript {
    const posix = kinds.find((k) => k.kind === "posix");
    if (posix?.kind !== "posix") throw new Error("no posix spawner on this machine");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawner-fds-"));
    const python = path.join(dir, "python3");
    fs.writeFileSync(python, `#!/bin/sh\nulimit -n ${limit}\nexec ${posix.python} "$@"\n`, { mode: 0o755 });
    return { ...posix, python };
  }

  async function killAll(agents: AgentProcess[]): Promise<void> {
    const closed = agents.map((a) => new Promise((resolve) => a.once("close", resolve)));
    for (const a of agents) process.kill(-a.pid, "SIGKILL");
    await Promise.all(closed);
  }

  // Out of fds, the posix spawner's Popen raises EMFILE (its exec error pipe or /dev/null can't
  // be opened); it must answer that one start with the error and keep watching its agents.
  it("ulimit -n 24: a start that finds no free fd fails with EMFILE; the spawner and the agents it watches go on", async () => {
    resetSpawners([posixWithFdLimit(24)]);
    await warmSpawners();
    const spawnerPids = currentSpawners().map((s) => s.pid);
    const agents: AgentProcess[] = [];
    const failures: unknown[] = [];
    try {
      for (let burst = 0; burst < 3; burst++) {
        const results = await Promise.all(Array.from({ length: 8 }, () => spawnAgent({ file: "sleep", args: ["60"], env: { PATH: process.env.PATH! }, stdin: null })));
        for (const started of results) {
          if (started.ok) agents.push(started.child);
          else failures.push(started);
        }
      }
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) expect(failure).toMatchObject({ ok: false, error: { code: "EMFILE" } });
      // Every agent started is still running, under the same two spawners.
      expect(agents.length).toBeGreaterThan(4);
      expect(agents.every((a) => isAlive(a.pid))).toBe(true);
      expect(currentSpawners().map((s) => s.pid)).toEqual(spawnerPids);
      expect(spawnerStatus()).toMatchObject({ mode: "process", processes: 2, kind: "posix", deaths: 0 });
    } finally {
      await killAll(agents);
    }
    // Their exits were reported (the 'close' above) and their fds freed: the next start works.
    expect((await startAndRead({ file: "sh", args: ["-c", "echo room again"], env: { PATH: process.env.PATH! }, stdin: null })).out).toBe("room again\n");
    expect(currentSpawners().map((s) => s.pid)).toEqual(spawnerPids);
  });
});

describe("spawner fallbacks", () => {
  afterEach(() => resetSpawners(null));

  it("a posix spawner that cannot start: the Node spawners start agents and the status says why", async () => {
    const posix = kinds.find((k) => k.kind === "posix");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawner-broken-"));
    const broken = path.join(dir, "spawner.py");
    fs.writeFileSync(broken, "import sys\nsys.exit(3)\n");
    // Without a python3 here, a path that does not exist stands for it (spawn fails: ENOENT).
    resetSpawners([{ kind: "posix", python: posix?.kind === "posix" ? posix.python : path.join(dir, "no-python3"), path: broken }, { kind: "node", path: spawnerEntry() }]);
    const started = await spawnAgent({ file: "sh", args: ["-c", "echo fine"], env: { PATH: process.env.PATH! }, stdin: null });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.via).toBe("spawner");
    expect((await readAll(started.child)).out).toBe("fine\n");
    // A spawner that never said ready is a fallback, not a death.
    expect(spawnerStatus()).toEqual({ mode: "process", processes: 2, kind: "node", reason: "a spawner process could not start (posix)", deaths: 0, lastDeath: null });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a spawner that cannot start: agents are spawned in-process and the status says so", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spawner-broken-"));
    const broken = path.join(dir, "spawner.mjs");
    fs.writeFileSync(broken, "process.exit(7);\n");
    resetSpawners([{ kind: "node", path: broken }]);
    expect(spawnerStatus().mode).toBe("process");
    const started = await spawnAgent({ file: "sh", args: ["-c", "echo fine"], env: { PATH: process.env.PATH! }, stdin: null });
    if (!started.ok) throw new Error(started.error.message);
    expect(started.via).toBe("in-process");
    expect((await readAll(started.child)).out).toBe("fine\n");
    expect(spawnerStatus()).toMatchObject({ mode: "in-process", reason: "a spawner process could not start" });
    // The runtime works the same on the fallback.
    const { result } = await collect(commandRuntime(cfg({ command: ["sh", "-c", "echo via fallback"] })));
    expect(result).toMatchObject({ status: "success", text: "via fallback" });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
