/**
 * Measures faults 1–3 of issue #10 against the real production build (`next build`
 * first; run under the shared heavy lock):
 *
 *   node bench/process-faults.mjs [crash|ctrl-c|demo]...   (default: all three)
 *
 * crash  — two agents (each with 4 children and 4 grandchildren) hold both slots, a
 *          chat reply streams and a per-2-seconds schedule waits for a slot; the server
 *          is killed with SIGKILL and restarted on the same data dir. Reports the old
 *          agent processes still alive after the restart, whether a retry ran while its
 *          parent's processes lived, the seconds from the restart's health to the first
 *          task started (a retry or the waiting schedule's), and how long the dead server's chat reply stayed `streaming`.
 * ctrl-c — `node scripts/start.mjs` in its own process group with a running agent gets
 *          SIGINT on the whole group (what a terminal's Ctrl-C does). Reports the exit,
 *          the agent processes left and whether the runner row is marked stopped.
 * demo   — the same for `node scripts/demo.mjs` while a scheduled Claude Code run is in
 *          flight (processes whose working directory is the demo workspace).
 * Prints one JSON object per scenario.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { root } from "../scripts/build-if-needed.mjs";
import { spawnNextStart, waitForHealth } from "../scripts/launch.mjs";

const AGENT = path.join(root, "test/fixtures/scripted-agent.mjs");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function running(pid) {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const readPids = (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : []);

async function waitUntil(fn, timeoutMs, label) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${label}`);
    await sleep(100);
  }
}

function client(baseURL) {
  return async (pathname, method = "GET", json) => {
    const res = await fetch(`${baseURL}${pathname}`, {
      method,
      headers: { origin: baseURL, ...(json ? { "content-type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, data: text ? JSON.parse(text) : null };
  };
}

function startApp(dataDir, port, env = {}) {
  let output = "";
  const child = spawnNextStart({ host: "127.0.0.1", port, env: { AGENTCRON_DATA_DIR: dataDir, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return { child, output: () => output };
}

async function scriptedRuntime(api, name, args) {
  const res = await api("/api/runtimes", "POST", {
    name,
    kind: "command",
    config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", ...args], promptVia: "stdin", outputFormat: "claude-stream-json" },
  });
  if (res.status !== 201) throw new Error(`runtime: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.runtime;
}

async function schedule(api, body) {
  const res = await api("/api/schedules", "POST", { timezone: "UTC", ...body });
  if (res.status !== 201) throw new Error(`schedule: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.schedule;
}

async function crash() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-crash-"));
  const pidFile = path.join(dataDir, "agent-pids.txt");
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  const api = client(baseURL);
  const env = { AGENTCRON_RETRY_BACKOFF_SEC: "0" };
  const s1 = startApp(dataDir, port, env);
  await waitForHealth(baseURL);
  await api("/api/settings", "PATCH", { maxConcurrent: 2 });
  const hang = await scriptedRuntime(api, "hangs with children", ["--hang", "--children", "4", "--pid-file", pidFile]);
  const quick = await scriptedRuntime(api, "quick", ["--turns", "1"]);
  const long = [];
  for (const name of ["long A", "long B"]) {
    const s = await schedule(api, { name, prompt: name, cronExpression: "0 3 1 1 *", runtimeId: hang.id, maxAttempts: 3 });
    const run = await api(`/api/schedules/${s.id}/execute`, "POST");
    if (run.status !== 202) throw new Error(`execute: ${run.status} ${JSON.stringify(run.data)}`);
    long.push(run.data.taskId);
  }
  await schedule(api, { name: "every 2 s", prompt: "quick", cronExpression: "*/2 * * * * *", runtimeId: quick.id });
  // A chat reply left streaming by the crash.
  const chatPidFile = path.join(dataDir, "chat-pids.txt");
  const chatRuntime = await scriptedRuntime(api, "chat hangs", ["--hang", "--pid-file", chatPidFile]);
  const conv = await api("/api/chat/conversations", "POST", { title: "crash", runtimeId: chatRuntime.id });
  const chatRes = await fetch(`${baseURL}/api/chat/conversations/${conv.data.conversation.id}/messages`, {
    method: "POST",
    headers: { origin: baseURL, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ content: "hello" }),
  });
  const reader = chatRes.body.getReader();
  await reader.read();
  const oldPids = await waitUntil(() => (readPids(pidFile).length >= 18 ? readPids(pidFile) : null), 30_000, "2 agents with 4 children + 4 grandchildren each");
  await sleep(500);

  const killedAt = Date.now();
  process.kill(s1.child.pid, "SIGKILL");
  await new Promise((r) => s1.child.once("exit", r));
  reader.cancel().catch(() => {});
  const aliveAtKill = oldPids.filter(running).length;

  const s2 = startApp(dataDir, port, env);
  await waitForHealth(baseURL);
  const healthyAt = Date.now();
  const aliveAtHealth = oldPids.filter(running).length;
  const chatAtHealth = (await api(`/api/chat/conversations/${conv.data.conversation.id}/messages`)).data.messages.find((m) => m.role === "assistant")?.status;

  let firstWorkAt = null;
  let chatFinalizedAt = chatAtHealth !== "streaming" ? healthyAt : null;
  let lastOldAliveAt = aliveAtHealth ? healthyAt : null;
  let retryStartedAt = null;
  const deadline = healthyAt + 40_000;
  while (Date.now() < deadline) {
    const now = Date.now();
    if (oldPids.some(running)) lastOldAliveAt = now;
    const { data } = await api("/api/tasks?limit=100");
    for (const t of data.tasks) {
      const startedAt = t.startedAt ? Date.parse(t.startedAt) : null;
      if (startedAt && startedAt >= killedAt) firstWorkAt = Math.min(firstWorkAt ?? Infinity, startedAt);
      if (long.includes(t.parentTaskId) && startedAt) retryStartedAt = Math.min(retryStartedAt ?? Infinity, startedAt);
    }
    if (!chatFinalizedAt) {
      const m = (await api(`/api/chat/conversations/${conv.data.conversation.id}/messages`)).data.messages.find((x) => x.role === "assistant");
      if (m?.status !== "streaming") chatFinalizedAt = now;
    }
    if (firstWorkAt && chatFinalizedAt && retryStartedAt && !oldPids.some(running) && now - healthyAt > 12_000) break;
    await sleep(200);
  }
  const aliveAtEnd = oldPids.filter(running);
  const result = {
    scenario: "crash (kill -9) + restart on the same data dir",
    oldAgentProcesses: oldPids.length,
    aliveAtKill,
    aliveWhenRestartedServerHealthy: aliveAtHealth,
    aliveAtEnd: aliveAtEnd.length,
    restartToHealthySec: (healthyAt - killedAt) / 1000,
    healthyToFirstNewWorkSec: firstWorkAt ? (firstWorkAt - healthyAt) / 1000 : "none within 40 s",
    retryStartedWhileParentProcessesAlive: retryStartedAt != null && lastOldAliveAt != null && retryStartedAt < lastOldAliveAt,
    retryOverlapSec: retryStartedAt != null && lastOldAliveAt != null ? Math.max(0, (lastOldAliveAt - retryStartedAt) / 1000) : 0,
    chatAgentAliveAtEnd: readPids(chatPidFile).filter(running).length,
    chatReplyAtHealth: chatAtHealth,
    chatFinalizedAfterHealthSec: chatFinalizedAt ? (chatFinalizedAt - healthyAt) / 1000 : "still streaming after 40 s",
  };
  await stopGroup(s2.child);
  for (const pid of [...readPids(pidFile), ...readPids(chatPidFile)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  return result;
}

async function stopGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // gone
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, 10_000);
  await exited;
  clearTimeout(t);
}

function runnerRows(dataDir) {
  const db = new Database(path.join(dataDir, "agentcron.db"), { readonly: true });
  try {
    return db.prepare("SELECT pid, stopped_at AS stoppedAt FROM runners").all();
  } finally {
    db.close();
  }
}

/** Processes (pid list) whose working directory is inside `dir`. */
function processesIn(dir) {
  const out = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if ((cwd === dir || cwd.startsWith(dir + path.sep)) && running(Number(name))) out.push(Number(name));
    } catch {
      // gone or not ours
    }
  }
  return out;
}

/** Spawns `script` like a terminal job (its own process group), then Ctrl-C: SIGINT to the whole group. */
async function ctrlC(script, { prepare, leftovers }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `agentcron-bench-${path.basename(script, ".mjs")}-`));
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  let output = "";
  const job = spawn(process.execPath, [path.join(root, script)], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", AGENTCRON_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  job.stdout.on("data", (d) => (output += d));
  job.stderr.on("data", (d) => (output += d));
  try {
    await waitForHealth(baseURL, 120_000);
    const before = await prepare(client(baseURL), dataDir);
    const exited = new Promise((r) => job.once("exit", (code, signal) => r({ code, signal })));
    const sentAt = Date.now();
    process.kill(-job.pid, "SIGINT");
    const exit = await Promise.race([exited, sleep(30_000).then(() => null)]);
    const exitSec = (Date.now() - sentAt) / 1000;
    await sleep(1_000);
    const left = leftovers(before, dataDir);
    const rows = runnerRows(dataDir);
    return {
      scenario: `Ctrl-C (SIGINT to the process group) on node ${script}`,
      agentProcessesBefore: Array.isArray(before) ? before.length : before,
      exit: exit ? { ...exit, afterSec: exitSec } : "did not exit within 30 s",
      processesLeft: left.length,
      runnerRowsStopped: `${rows.filter((r) => r.stoppedAt != null).length}/${rows.length}`,
      serverOutputTail: exit ? undefined : output.slice(-2000),
    };
  } finally {
    try {
      process.kill(-job.pid, "SIGKILL");
    } catch {
      // gone
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function ctrlCStart() {
  return ctrlC("scripts/start.mjs", {
    async prepare(api, dataDir) {
      const pidFile = path.join(dataDir, "agent-pids.txt");
      const rt = await scriptedRuntime(api, "hangs stubbornly", ["--hang", "--stubborn", "--children", "2", "--pid-file", pidFile]);
      const s = await schedule(api, { name: "long", prompt: "long", cronExpression: "0 3 1 1 *", runtimeId: rt.id });
      await api(`/api/schedules/${s.id}/execute`, "POST");
      return waitUntil(() => (readPids(pidFile).length >= 5 ? readPids(pidFile) : null), 20_000, "agent pids");
    },
    leftovers: (pids) => pids.filter(running),
  });
}

async function ctrlCDemo() {
  return ctrlC("scripts/demo.mjs", {
    async prepare(api, dataDir) {
      const workspace = path.join(dataDir, "workspace");
      return waitUntil(() => {
        const p = processesIn(workspace);
        return p.length ? p : null;
      }, 60_000, "a demo agent process in the workspace");
    },
    leftovers: (_before, dataDir) => processesIn(path.join(dataDir, "workspace")),
  });
}

const scenarios = { crash, "ctrl-c": ctrlCStart, demo: ctrlCDemo };
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(scenarios);
console.log(JSON.stringify({ machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`, date: new Date().toISOString() }));
for (const name of chosen) {
  try {
    console.log(JSON.stringify(await scenarios[name](), null, 1));
  } catch (err) {
    console.log(JSON.stringify({ scenario: name, error: err.message }));
  }
}
process.exit(0);
