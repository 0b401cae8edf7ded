/**
 * The real server under load, black box (issue 15 item 2): does a chat stay fast while
 * scheduled agents pump output into the same production process?
 *
 * Starts the app the way `npm start` does (scripts/build-if-needed.mjs → `next build` when
 * stale, scripts/launch.mjs → `next start` on 127.0.0.1 with a fresh temp data dir and the
 * cap set by SCHEDULE_MAX_CONCURRENT), the scripted OpenAI chat-completions server
 * (test/fixtures/openai-server.mjs, its own process, like a real model server) and then,
 * through the HTTP API only:
 * - two probe schedules firing every second (`* * * * * *`, command runtime `/bin/true`),
 *   running from setup to the end;
 * - an **idle** phase (no agents) and a **load** phase (N agents started with Run now:
 *   the scripted CLI agent, test/fixtures/scripted-agent.mjs in stream mode, Claude Code
 *   stream-json at --rate lines/s each, parsed and persisted by the server; two tool calls
 *   per turn at the defaults, so a run stays under the 10,000 max turns a schedule allows), each lasting
 *   --duration-sec, during which one chat conversation sends --messages messages through
 *   `POST /api/chat/conversations/:id/messages` (SSE) to the scripted model (40 content
 *   chunks 10 ms apart, a fixed 300-character answer). Messages go out 150 ms after a whole second, every
 *   ⌊duration / messages⌋ s, so a reply (≈ 0.5 s) rarely spans a probe's occurrence;
 *   a probe due while a chat streamed is held by chat pressure (by design) and is counted
 *   apart, not as lateness.
 * Reported per phase: the chat's time to first delta (request sent → first `delta` event
 * read; overhead = load − idle), the gaps between deltas, the server's event-loop delay
 * (`GET /api/scheduler/status` `eventLoopDelay`: the last 60 s, so exactly the phase at the
 * default 60 s), probe lateness from the firing metrics API
 * (`GET /api/schedules/:id/metrics`), the server process's CPU (/proc), and for the load:
 * task events persisted per second and the share of what the agents emitted (each agent
 * appends its line count to a stats file; the assistant, tool_call and tool_result events
 * map one to one onto its turn lines) — counted through `GET /api/tasks/:id/events`.
 *
 *   npm run bench:server-load [-- --duration-sec 60 --agents 8 --rate 500 --messages 30 --cap 10 --cpu-prof]
 *   BENCH_DURATION_SEC=10 npm run bench:server-load -- --messages 5     (a short smoke run)
 * --json FILE: also write every raw sample (chat, direct, probes, status) there.
 * --cpu-prof: the server runs as `node --cpu-prof … next start`; its profile is summarized over each
 * phase (top self time by function and by package) and kept in the temp dir.
 * Heavy: run it under the shared lock (`flock /tmp/agentcron-heavy.lock npm run …`).
 * Targets (issue 15): first-delta overhead under load < 10 ms over idle, event-loop delay
 * p99 < 20 ms, probe lateness p99 < 20 ms, 100 % of emitted events persisted.
 * Everything listens on 127.0.0.1; the server's process group, the agents and the model
 * server are stopped on exit (also on Ctrl-C), and the temp dir removed unless --keep.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { formatProfileSummary, summarizeCpuProfile } from "./cpu-profile";
import type { EventLoopDelayDto, FiringMetricDto, QuietCollectionCountsDto, SchedulerStatusDto, TaskDto } from "../src/lib/api-types";
// @ts-expect-error plain ESM script without types
import { buildIfNeeded, root } from "../scripts/build-if-needed.mjs";
// @ts-expect-error plain ESM script without types
import { spawnNextStart } from "../scripts/launch.mjs";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const AGENT = path.join(root as string, "test/fixtures/scripted-agent.mjs");
const MODEL_SERVER = path.join(root as string, "test/fixtures/openai-server.mjs");
/** Turns an agent may take in the run (schedules cap maxTurns at 10,000); the margin is for a slow start. */
const MAX_TURNS_USED = 9_000;
const PROMPT = "Explain, in a few sentences, why a chat must not wait for background agents.";

// ---------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    "duration-sec": { type: "string", default: process.env.BENCH_DURATION_SEC ?? "60" },
    agents: { type: "string", default: "8" },
    rate: { type: "string", default: "500" },
    messages: { type: "string", default: "30" },
    cap: { type: "string", default: "10" },
    chunks: { type: "string", default: "40" },
    "chunk-delay-ms": { type: "string", default: "10" },
    "cpu-prof": { type: "boolean", default: process.env.BENCH_CPU_PROF === "1" },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const durationSec = Number(opts["duration-sec"]);
const agentCount = Number(opts.agents);
const rate = Number(opts.rate);
const messageCount = Number(opts.messages);
const cap = Number(opts.cap);
const chunks = Number(opts.chunks);
const chunkDelayMs = Number(opts["chunk-delay-ms"]);
for (const [name, v, min, max] of [["duration-sec", durationSec, 5, 3600], ["agents", agentCount, 0, 50], ["rate", rate, 3, 10_000], ["messages", messageCount, 1, 1000], ["cap", cap, 3, 100]] as const) {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be an integer in ${min}–${max}`);
}
/** Seconds between chat messages (whole seconds, so sends keep their offset from the probes' occurrences). */
const messageEverySec = Math.max(1, Math.floor(durationSec / messageCount));

// ---------------------------------------------------------------- stats helpers

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const median = (xs: number[]) => percentile(xs, 50);

// ---------------------------------------------------------------- processes and cleanup

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-server-load-"));
const dataDir = path.join(tmp, "data");
const statsFile = path.join(tmp, "agent-stats.jsonl");
const pidFile = path.join(tmp, "agent-pids");
const profDir = path.join(tmp, "cpu-prof");
let server: ChildProcess | null = null;
let modelServer: ChildProcess | null = null;
let serverOutput = "";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** SIGKILLs agents the server left behind: only pids our agents recorded that still run the scripted agent. */
function killLeftoverAgents(): number {
  let killed = 0;
  const pids = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : [];
  for (const pid of pids) {
    try {
      if (alive(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("scripted-agent.mjs")) {
        process.kill(pid, "SIGKILL");
        killed += 1;
      }
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** Stops the server's process group (SIGTERM: its shutdown stops the agents; SIGKILL after 15 s), the model server and leftovers. Idempotent. */
async function stopProcesses(): Promise<void> {
  const s = server;
  server = null;
  if (s && s.exitCode === null && s.signalCode === null) {
    const exited = new Promise((r) => s.once("exit", r));
    try {
      process.kill(-s.pid!, "SIGTERM");
    } catch {
      s.kill("SIGTERM");
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-s.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  modelServer?.kill("SIGKILL");
  modelServer = null;
  const left = killLeftoverAgents();
  if (left) console.error(`[bench] killed ${left} agent process(es) the server left behind`);
}

/** stopProcesses, then the temp dir (data, stats, profile) unless --keep. */
async function cleanup(): Promise<void> {
  await stopProcesses();
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`[bench] kept ${tmp}`);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`[bench] ${signal}: stopping the server and agents`);
    void cleanup().finally(() => process.exit(130));
  });
}
process.once("exit", () => {
  // Last resort on an unexpected exit: nothing async runs here.
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  modelServer?.kill("SIGKILL");
  killLeftoverAgents();
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process in ms (/proc/<pid>/stat; clock ticks are 100 Hz on Linux). */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line: all cores). */
function machineJiffies(): { busy: number; total: number } {
  const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0); // idle + iowait
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The node process actually serving: `next start` itself, or its child when it forks one. */
function servingPid(root: number): number {
  for (let pid = root, depth = 0; depth < 3; depth++) {
    let children: number[] = [];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return pid;
    }
    const node = children.find((c) => {
      try {
        return fs.readFileSync(`/proc/${c}/cmdline`, "utf8").includes("next");
      } catch {
        return false;
      }
    });
    if (!node) return pid;
    pid = node;
  }
  return root;
}

// ---------------------------------------------------------------- HTTP

let baseURL = "";

async function api<T>(pathname: string, method = "GET", json?: unknown): Promise<{ status: number; data: T }> {
  const res = await fetch(`${baseURL}${pathname}`, {
    method,
    headers: { origin: baseURL, ...(json !== undefined ? { "content-type": "application/json" } : {}) },
    body: json !== undefined ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  return { status: res.status, data: text ? (JSON.parse(text) as T) : (null as T) };
}

async function must<T>(pathname: string, method: string, json: unknown, expected: number): Promise<T> {
  const res = await api<T>(pathname, method, json);
  if (res.status !== expected) throw new Error(`${method} ${pathname} → ${res.status} ${JSON.stringify(res.data)}`);
  return res.data;
}

async function waitUntil<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs: number, label: string, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${label}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------- chat

interface ChatSample {
  /** Wall-clock (UTC ms) request sent and body ended: when the chat could hold a probe. */
  startedAt: number;
  endedAt: number;
  ttfdMs: number;
  gapsMs: number[];
  deltas: number;
  error: string | null;
}

/** One chat message through the SSE route, read as the browser reads it. */
async function chatMessage(conversationId: string): Promise<ChatSample> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const times: number[] = [];
  let error: string | null = null;
  const res = await fetch(`${baseURL}/api/chat/conversations/${conversationId}/messages`, {
    method: "POST",
    headers: { origin: baseURL, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ content: PROMPT }),
  });
  if (res.status !== 200 || !res.body) {
    return { startedAt, endedAt: Date.now(), ttfdMs: NaN, gapsMs: [], deltas: 0, error: `HTTP ${res.status}: ${await res.text()}` };
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const now = performance.now();
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf("\n\n")) >= 0) {
      const frame = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      for (const line of frame.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const event = JSON.parse(line.slice(5).trim()) as { type: string; message?: string };
        if (event.type === "delta") times.push(now);
        if (event.type === "error") error = event.message ?? "error";
      }
    }
  }
  if (!times.length && !error) error = "no delta";
  return { startedAt, endedAt: Date.now(), ttfdMs: times.length ? times[0] - t0 : NaN, gapsMs: times.slice(1).map((t, i) => t - times[i]), deltas: times.length, error };
}

let modelBaseUrl = "";

/**
 * The same question straight to the model server from this process (no Agentcron in the
 * path): the floor for TTFD and gaps on this machine at this moment. Returns TTFD ms (NaN on failure).
 */
async function directMessage(): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${modelBaseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "scripted", stream: true, messages: [{ role: "user", content: PROMPT }] }),
  });
  if (!res.body) return NaN;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let first = NaN;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    if (Number.isNaN(first) && /"content":"[^"]/.test(decoder.decode(value, { stream: true }))) first = performance.now() - t0;
  }
  return first;
}

/** Sends the phase's messages one at a time, each 150 ms after a whole second, every `messageEverySec`. Bounded: `messageCount` sends. */
async function chatPhase(conversationId: string, phaseEndsAt: number): Promise<{ samples: ChatSample[]; direct: number[] }> {
  const samples: ChatSample[] = [];
  const direct: number[] = [];
  let slot = Math.ceil((Date.now() + 200) / 1000) * 1000 + 150;
  for (let i = 0; i < messageCount; i++) {
    if (slot > phaseEndsAt) break;
    await sleep(Math.max(0, slot - Date.now()));
    const sample = await chatMessage(conversationId);
    samples.push(sample);
    if (sample.error) console.error(`[bench] chat message ${i + 1}: ${sample.error}`);
    direct.push(await directMessage());
    slot += messageEverySec * 1000;
    // A reply that overran its slot: next whole second + 150 ms.
    if (slot < Date.now()) slot = Math.ceil(Date.now() / 1000) * 1000 + 150;
  }
  return { samples, direct };
}

// ---------------------------------------------------------------- phases

interface PhaseResult {
  label: string;
  from: number;
  to: number;
  chat: ChatSample[];
  /** TTFD of the same question sent straight to the model server, right after each chat message, ms. */
  direct: number[];
  loop: EventLoopDelayDto;
  eventLoopLagMs: number;
  serverCpuPct: number;
  /** Whole machine (all cores) busy over the phase, % — the server, agents, this bench and whatever else runs. */
  machineBusyPct: number;
  loadAvg: number;
  /** GET /api/scheduler/status `quietCollections` at the phase's end (ADR 0035; counts since boot). */
  quiet: SchedulerStatusDto["quietCollections"];
}

async function phase(label: string, conversationId: string, pid: number): Promise<PhaseResult> {
  const from = Date.now();
  const cpu0 = cpuMs(pid);
  const m0 = machineJiffies();
  const t0 = performance.now();
  const to = from + durationSec * 1000;
  console.log(`[bench] ${label}: ${durationSec} s, ${messageCount} chat messages every ${messageEverySec} s`);
  const { samples: chat, direct } = await chatPhase(conversationId, to - 1000);
  await sleep(Math.max(0, to - Date.now()));
  const status = (await api<SchedulerStatusDto>("/api/scheduler/status")).data;
  const cpuPct = ((cpuMs(pid) - cpu0) / (performance.now() - t0)) * 100;
  const m1 = machineJiffies();
  const machineBusyPct = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100;
  return { label, from, to: Date.now(), chat, direct, loop: status.eventLoopDelay, eventLoopLagMs: status.eventLoopLagMs, serverCpuPct: cpuPct, machineBusyPct, loadAvg: os.loadavg()[0], quiet: status.quietCollections };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  console.log(`[bench] building if stale, then next start (temp dir ${tmp})`);
  buildIfNeeded();
  fs.mkdirSync(dataDir);

  modelServer = spawn(process.execPath, [MODEL_SERVER, "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const modelUrl = await new Promise<string>((resolve, reject) => {
    modelServer!.once("exit", (code) => reject(new Error(`model server exited with ${code}`)));
    let seen = "";
    modelServer!.stdout!.on("data", (d: Buffer) => {
      seen += d; // keeps draining its per-request log lines
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) resolve(m[1]);
    });
  });

  const port = await freePort();
  baseURL = `http://127.0.0.1:${port}`;
  server = spawnNextStart({
    host: "127.0.0.1",
    port,
    env: {
      AGENTCRON_DATA_DIR: dataDir,
      AGENTCRON_TOKEN: "",
      AGENTCRON_ALLOWED_ORIGINS: "",
      AGENTCRON_TRUST_PROXY: "",
      SCHEDULE_MAX_CONCURRENT: String(cap),
    },
    nodeArgs: opts["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [],
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  }) as ChildProcess;
  server.stdout!.on("data", (d) => (serverOutput += d));
  server.stderr!.on("data", (d) => (serverOutput += d));
  await waitUntil(
    async () => {
      if (server?.exitCode != null) throw new Error(`server exited with ${server.exitCode}:\n${serverOutput}`);
      return (await fetch(`${baseURL}/api/health`).catch(() => null))?.status === 200;
    },
    120_000,
    "server health",
    200,
  );
  const pid = servingPid(server.pid!);
  console.log(`[bench] server healthy at ${baseURL} (serving pid ${pid})`);

  // Runtimes, probes, agent schedules, conversations: all through the API.
  // A fixed 300-character answer: the openai-compatible runtime replays the conversation as a transcript, which the scripted model would otherwise echo back ever longer.
  const scenario = Buffer.from(JSON.stringify({ chunks, chunkDelayMs, replyChars: 300 })).toString("base64url");
  modelBaseUrl = `${modelUrl}/s/${scenario}/v1`;
  const chatRuntime = await must<{ runtime: { id: string } }>("/api/runtimes", "POST", { name: "scripted model", kind: "openai-compatible", config: { baseUrl: modelBaseUrl, model: "scripted" } }, 201);
  const agentDurationMs = durationSec * 1000 + 12_000; // covers launch + settle + the measured phase
  // Schedules allow at most 10,000 max turns: at 500 lines/s for 72 s the agent takes two tool calls a turn (5 lines).
  const toolsPerTurn = Math.max(1, Math.ceil(((rate * agentDurationMs) / 1000 / MAX_TURNS_USED - 1) / 2));
  const agentRuntime = await must<{ runtime: { id: string } }>(
    "/api/runtimes",
    "POST",
    {
      name: "chatty agent",
      kind: "command",
      config: { command: [process.execPath, AGENT, "--rate", String(rate), "--duration-ms", String(agentDurationMs), "--tools-per-turn", String(toolsPerTurn), "--stats-file", statsFile, "--pid-file", pidFile], promptVia: "stdin", outputFormat: "claude-stream-json" },
    },
    201,
  );
  const probeRuntime = await must<{ runtime: { id: string } }>("/api/runtimes", "POST", { name: "probe", kind: "command", config: { command: ["/bin/true", "{prompt}"], promptVia: "arg", outputFormat: "text" } }, 201);
  const setupAt = new Date().toISOString();
  const probes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await must<{ schedule: { id: string } }>("/api/schedules", "POST", { name: `probe ${i + 1}`, prompt: "probe", cronExpression: "* * * * * *", runtimeId: probeRuntime.runtime.id }, 201);
    probes.push(res.schedule.id);
  }
  const agentSchedules: string[] = [];
  for (let i = 0; i < agentCount; i++) {
    const res = await must<{ schedule: { id: string } }>("/api/schedules", "POST", { name: `chatty agent ${i + 1}`, prompt: "work", cronExpression: "0 0 1 1 *", runtimeId: agentRuntime.runtime.id, maxTurns: 10_000 }, 201);
    agentSchedules.push(res.schedule.id);
  }
  const conversation = async (title: string) => (await must<{ conversation: { id: string } }>("/api/chat/conversations", "POST", { title, runtimeId: chatRuntime.runtime.id }, 201)).conversation.id;
  const warmConversation = await conversation("warm-up");
  const idleConversation = await conversation("idle");
  const loadConversation = await conversation("under load");

  // Warm-up: first requests of each route load their modules; first chat turns JIT the path.
  for (let i = 0; i < 5; i++) {
    const s = await chatMessage(warmConversation);
    if (s.error) throw new Error(`warm-up chat failed: ${s.error}`);
  }
  await api("/api/scheduler/status");
  await api(`/api/schedules/${probes[0]}/metrics`);
  await sleep(3_000);

  const idleFrom = process.hrtime.bigint();
  const idle = await phase("idle (probes + chat)", idleConversation, pid);
  const idleTo = process.hrtime.bigint();

  // Load: Run now on each agent schedule, then measure once every agent streams.
  const launchedAt = Date.now();
  const taskIds: string[] = [];
  for (const id of agentSchedules) taskIds.push((await must<{ taskId: string }>(`/api/schedules/${id}/execute`, "POST", undefined, 202)).taskId);
  await waitUntil(
    async () => {
      const tasks = await Promise.all(taskIds.map(async (id) => (await api<{ task: TaskDto }>(`/api/tasks/${id}`)).data.task));
      return tasks.every((t) => t.status === "running" && t.turnCount > 0);
    },
    30_000,
    "every agent streaming",
  );
  await sleep(1_000);
  const settleMs = Date.now() - launchedAt;
  if (settleMs + durationSec * 1000 > agentDurationMs - 1_000) console.error(`[bench] warning: agents took ${settleMs} ms to start; they end before the phase does`);
  const profFrom = process.hrtime.bigint();
  const load = await phase(`${agentCount} agents × ${rate} lines/s`, loadConversation, pid);
  const profTo = process.hrtime.bigint();

  // Agents end by themselves (--duration-ms); wait for their terminal rows.
  const finished = await waitUntil(
    async () => {
      const tasks = await Promise.all(taskIds.map(async (id) => (await api<{ task: TaskDto }>(`/api/tasks/${id}`)).data.task));
      return tasks.every((t) => t.finishedAt) ? tasks : null;
    },
    agentDurationMs + 60_000,
    "agents to finish",
    1_000,
  );

  // Events persisted per task (paged API reads, bounded by what the agents could emit).
  let persisted = 0;
  let turnEvents = 0;
  const pageLimit = Math.ceil((rate * (agentDurationMs / 1000) + 100) / 5000) + 2;
  for (const id of taskIds) {
    let after = 0;
    for (let page = 0; page < pageLimit; page++) {
      const { events } = (await api<{ events: { id: number; type: string }[] }>(`/api/tasks/${id}/events?after=${after}`)).data;
      if (!events.length) break;
      persisted += events.length;
      turnEvents += events.filter((e) => e.type === "assistant" || e.type === "tool_call" || e.type === "tool_result").length;
      after = events[events.length - 1].id;
    }
  }
  const stats = fs.existsSync(statsFile) ? fs.readFileSync(statsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { lines: number; toolTurns: number; toolsPerTurn: number }) : [];
  const emittedLines = stats.reduce((a, s) => a + s.lines, 0);
  // A turn = its text (one `assistant` event), then toolsPerTurn tool_call and tool_result events; plus the final answer.
  const expectedTurnEvents = stats.reduce((a, s) => a + (1 + 2 * s.toolsPerTurn) * s.toolTurns + 1, 0);
  const firstStart = Math.min(...finished.map((t) => Date.parse(t.startedAt!)));
  const lastEnd = Math.max(...finished.map((t) => Date.parse(t.finishedAt!)));

  // Probe firings from the firing metrics API, split by phase; those due while a chat streamed were held by chat pressure.
  const firings: FiringMetricDto[] = [];
  for (const id of probes) firings.push(...(await api<{ metrics: FiringMetricDto[] }>(`/api/schedules/${id}/metrics?since=${setupAt}`)).data.metrics);
  const probeTasks = (await Promise.all(probes.map(async (id) => (await api<{ tasks: TaskDto[] }>(`/api/tasks?scheduleId=${id}&status=skipped&limit=200`)).data.tasks))).flat();

  const probeStats = (p: PhaseResult) => {
    const inPhase = firings.filter((f) => f.plannedAt && Date.parse(f.plannedAt) >= p.from && Date.parse(f.plannedAt) < p.to);
    const held = (f: FiringMetricDto) => p.chat.some((c) => Date.parse(f.plannedAt!) >= c.startedAt - 5 && Date.parse(f.plannedAt!) <= c.endedAt + 5);
    const free = inPhase.filter((f) => !held(f));
    const heldOnes = inPhase.filter(held);
    const skipped = probeTasks.filter((t) => t.plannedAt && Date.parse(t.plannedAt) >= p.from && Date.parse(t.plannedAt) < p.to).length;
    return {
      firings: inPhase.length,
      expected: Math.floor((p.to - p.from) / 1000) * probes.length,
      skipped,
      lateness: free.map((f) => f.latenessMs),
      all: inPhase.map((f) => f.latenessMs),
      held: heldOnes.length,
      heldMax: Math.max(0, ...heldOnes.map((f) => f.latenessMs)),
    };
  };

  const us = (t: bigint) => Number(t / 1000n);
  const profile = opts["cpu-prof"] ? { idle: [us(idleFrom), us(idleTo)], load: [us(profFrom), us(profTo)] } : null;
  await stopProcesses(); // before the report: the server writes its --cpu-prof profile on exit

  // ------------------------------------------------------------ report
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  console.log(`\nServer under load (next start, production build), ${new Date().toISOString().slice(0, 16)}Z · ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  console.log(`phases of ${durationSec} s; chat: ${messageCount} messages, the model streams ${chunks} chunks ${chunkDelayMs} ms apart; 2 probes * * * * * *; cap ${cap}\n`);
  console.log(line(["phase", "chat TTFD p50 / p99", "direct TTFD p50 / p99", "delta gap p50 / p99 / max", "loop delay p50 / p99 / max (window, samples)", "eventLoopLagMs (status)", "probe lateness p50 / p99 / max (n, held by chat, skipped)", "server CPU", "machine busy (load avg)"]));
  console.log(line(["---", "---", "---", "---", "---", "---", "---", "---", "---"]));
  const rows = [idle, load].map((p) => ({ p, probe: probeStats(p) }));
  for (const { p, probe } of rows) {
    const ok = p.chat.filter((c) => !c.error);
    const gaps = ok.flatMap((c) => c.gapsMs);
    console.log(
      line([
        p.label,
        `${fmt(median(ok.map((c) => c.ttfdMs)))} / ${fmt(percentile(ok.map((c) => c.ttfdMs), 99))} ms (${ok.length}/${p.chat.length} ok)`,
        `${fmt(median(p.direct))} / ${fmt(percentile(p.direct, 99))} ms`,
        `${fmt(median(gaps))} / ${fmt(percentile(gaps, 99))} / ${fmt(Math.max(...gaps))} ms`,
        `${fmt(p.loop.p50Ms, 2)} / ${fmt(p.loop.p99Ms, 2)} / ${fmt(p.loop.maxMs)} ms (${p.loop.windowSec} s, ${p.loop.samples})`,
        `${fmt(p.eventLoopLagMs)} ms`,
        `${fmt(median(probe.lateness), 0)} / ${fmt(percentile(probe.lateness, 99), 0)} / ${fmt(Math.max(...probe.lateness), 0)} ms (${probe.lateness.length} of ${probe.expected}, ${probe.held} held ≤ ${probe.heldMax} ms, ${probe.skipped} skipped)`,
        `${fmt(p.serverCpuPct, 0)} % of a core`,
        `${fmt(p.machineBusyPct, 0)} % of ${os.cpus().length} cores (${fmt(p.loadAvg)})`,
      ]),
    );
  }
  for (const p of [idle, load]) {
    const q = p.quiet;
    const counts = (c: QuietCollectionCountsDto | null) => (c ? `${c.collections} (pause mean ${fmt(c.pauseMsMean)} ms, max ${fmt(c.pauseMsMax)} ms)` : "none");
    console.log(`Quiet-window collections since boot, at the end of "${p.label}" (ADR 0035, ${q.enabled ? "on" : "off"}): main thread ${counts(q.main)}; executor host ${counts(q.host)}.`);
  }
  const loadRow = rows[1];
  const ttfd = (p: PhaseResult) => p.chat.filter((c) => !c.error).map((c) => c.ttfdMs);
  const overheadP50 = median(ttfd(load)) - median(ttfd(idle));
  const overheadP99 = percentile(ttfd(load), 99) - percentile(ttfd(idle), 99);
  const spanSec = (lastEnd - firstStart) / 1000;
  const persistedPct = expectedTurnEvents ? (turnEvents / expectedTurnEvents) * 100 : NaN;
  console.log(`\nChat first-delta overhead under load vs idle: p50 ${fmt(overheadP50)} ms, p99 ${fmt(overheadP99)} ms (target < 10 ms).`);
  console.log(`Agents: ${finished.length} tasks (${finished.map((t) => t.status).join(", ")}), ${emittedLines} lines emitted; ${persisted} task events persisted in ${fmt(spanSec)} s = ${Math.round(persisted / spanSec)} events/s; turn events ${turnEvents} of ${expectedTurnEvents} emitted = ${fmt(persistedPct, 2)} % (target 100 %).`);
  const loadProbe = loadRow.probe;
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ durationSec, agentCount, rate, messageCount, cap, phases: rows, firings, stats, persisted, turnEvents, expectedTurnEvents, spanSec, profileRangesUs: profile }, null, 1));
  }
  const met = {
    "first-delta overhead < 10 ms": overheadP50 < 10,
    "loop delay p99 < 20 ms": load.loop.p99Ms < 20,
    "probe lateness p99 < 20 ms": percentile(loadProbe.lateness, 99) < 20,
    "100 % persisted": turnEvents === expectedTurnEvents && expectedTurnEvents > 0,
  };
  console.log(`Targets under load: ${Object.entries(met).map(([k, v]) => `${k} ${v ? "met" : "NOT met"}`).join("; ")}.`);
  if (durationSec * 1000 < 60_000) console.log(`(phases shorter than the status window of 60 s: the loop-delay figures include the time before each phase)`);

  if (profile) {
    const files = fs.existsSync(profDir) ? fs.readdirSync(profDir).map((f) => path.join(profDir, f)) : [];
    const biggest = files.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
    if (biggest) {
      for (const [name, [from, to]] of Object.entries(profile)) {
        const summary = formatProfileSummary(summarizeCpuProfile(biggest, from, to, root as string));
        console.log(`\nServer CPU profile over the ${name} phase (bundle frames mapped to sources):\n${summary}`);
      }
      console.log(`(profile: ${biggest}${opts.keep ? "" : "; pass --keep to keep it"})`);
    }
    else console.log("\nno CPU profile was written (did the server exit cleanly?)");
  }
}

main()
  .catch((err) => {
    console.error(err);
    if (serverOutput) console.error(`--- server output (tail) ---\n${serverOutput.slice(-4000)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
  });
