/**
 * Chat isolation benchmark (issue 6): how much do scheduled agents running in the same
 * process slow a chat stream down?
 *
 * Measures, idle and with 8 agents streaming heavy output in this process:
 * - time to first delta (TTFD) of a chat reply served by the scripted OpenAI model
 *   server (a child process, like a real model server) three ways: a direct streaming
 *   request (the floor), the openai-compatible runtime alone (AI SDK), and the whole
 *   chat path (prepareChatTurn → chat engine → runtime → SSE encoder → reader). The
 *   chat-path overhead is chat − runtime; the runtime's is runtime − direct (medians);
 * - inter-delta gaps of that reply (the server sends a chunk every CHUNK_DELAY_MS);
 * - main-thread event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution;
 *   figures include the 1 ms sampling interval).
 * The load is what the scheduler starts for a task: `executeTask` with the command
 * runtime running the scripted CLI agent in stream mode (Claude Code stream-json at
 * --rate events/s each, as in bench:executor), i.e. child processes pumping JSON lines
 * that this process parses and persists in batches.
 *
 *   npm run bench:chat [-- --turns 30 --agents 8 --rate 500 --chunks 40 --chunk-delay-ms 10]
 * Targets: first-delta overhead < 10 ms, event-loop delay p99 < 20 ms.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { ChatStreamEvent } from "../src/lib/api-types";

interface Sample {
  ttfdMs: number;
  gapsMs: number[];
  /** Chat only: until the engine emits `status`, i.e. validation and the message writes. */
  setupMs?: number;
}

const PROMPT = "Explain, in a few sentences, why a chat must not wait for background agents: " + "scheduled work can wait a little, a person typing should not. ".repeat(4);

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "—");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      turns: { type: "string", default: "30" },
      agents: { type: "string", default: "8" },
      rate: { type: "string", default: "500" },
      chunks: { type: "string", default: "40" },
      "chunk-delay-ms": { type: "string", default: "10" },
    },
  });
  const chatTurns = Number(values.turns);
  const agents = Number(values.agents);
  const rate = Number(values.rate);
  const chunks = Number(values.chunks);
  const chunkDelayMs = Number(values["chunk-delay-ms"]);

  const root = path.resolve(__dirname, "..");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-"));
  process.env.AGENTCRON_DATA_DIR = dataDir;
  process.env.AGENTCRON_MIGRATIONS_DIR ??= path.join(root, "drizzle");

  // Imported after the environment points at the temp data dir.
  const { getDb, closeDb } = await import("../src/lib/db/client");
  const { prepareChatTurn } = await import("../src/lib/chat/chat-engine");
  const { createConversation } = await import("../src/lib/chat/conversations");
  const { sseResponse } = await import("../src/lib/http/sse");
  const { readSse } = await import("../src/lib/ui/sse-client");
  const { executeTask } = await import("../src/lib/runtimes/task-executor");
  const { commandRuntime } = await import("../src/lib/runtimes/command");
  const { commandConfigSchema } = await import("../src/lib/runtimes/config");
  const { openAiCompatibleRuntime } = await import("../src/lib/runtimes/openai-compatible");
  const { runtimes, tasks } = await import("../src/lib/db/schema");
  const db = getDb();

  // The scripted model server runs in its own process, like a real model server.
  const modelServer = spawn(process.execPath, [path.join(root, "test/fixtures/openai-server.mjs"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const serverUrl = await new Promise<string>((resolve, reject) => {
    modelServer.once("exit", (code) => reject(new Error(`model server exited with ${code}`)));
    modelServer.stdout!.on("data", (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(String(d));
      if (m) resolve(m[1]);
    });
  });
  const scenario = Buffer.from(JSON.stringify({ chunks, chunkDelayMs })).toString("base64url");
  const baseUrl = `${serverUrl}/s/${scenario}/v1`;
  const runtimeId = randomUUID();
  db.insert(runtimes)
    .values({ id: runtimeId, name: "bench model", kind: "openai-compatible", config: { baseUrl, model: "scripted" }, isDefault: false, createdAt: Date.now(), updatedAt: Date.now() })
    .run();

  /** A direct streaming chat-completions request: when does the first content chunk arrive? */
  async function directSample(): Promise<Sample> {
    const t0 = performance.now();
    const res = await fetch(`${baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "scripted", stream: true, messages: [{ role: "user", content: PROMPT }] }),
    });
    const times: number[] = [];
    for await (const item of readSse<{ choices?: { delta?: { content?: string } }[] } | string>(sseBody(res.body!))) {
      if ("data" in item && typeof item.data === "object" && item.data.choices?.[0]?.delta?.content) times.push(performance.now());
    }
    return { ttfdMs: times[0] - t0, gapsMs: times.slice(1).map((t, i) => t - times[i]) };
  }

  /** The runtime alone (AI SDK streamText with the agent's tools), without the chat path. */
  const modelRuntime = openAiCompatibleRuntime({ baseUrl, model: "scripted" });
  async function runtimeSample(): Promise<Sample> {
    const t0 = performance.now();
    const times: number[] = [];
    for await (const event of modelRuntime.run({ prompt: PROMPT, maxTurns: 100, signal: new AbortController().signal })) {
      if (event.type === "text_delta") times.push(performance.now());
    }
    return { ttfdMs: times[0] - t0, gapsMs: times.slice(1).map((t, i) => t - times[i]) };
  }

  /** One chat turn through the engine and the SSE encoder, read the way the browser reads it. */
  async function chatSample(): Promise<Sample> {
    const conversation = await createConversation({ runtimeId }, Date.now(), db);
    const t0 = performance.now();
    const turn = await prepareChatTurn({ db, conversationId: conversation.id, content: PROMPT, runnerId: null });
    let setupMs = NaN;
    const res = sseResponse<ChatStreamEvent>((emit, signal) =>
      turn.run({
        emit: (event) => {
          if (event.type === "status") setupMs = performance.now() - t0;
          emit(event);
        },
        signal,
      }),
    );
    const times: number[] = [];
    let error: string | null = null;
    for await (const item of readSse<ChatStreamEvent>(res.body!)) {
      if (!("data" in item)) continue;
      if (item.data.type === "delta") times.push(performance.now());
      if (item.data.type === "error") error = item.data.message;
    }
    if (error || !times.length) throw new Error(`chat turn failed: ${error ?? "no delta"}`);
    return { ttfdMs: times[0] - t0, gapsMs: times.slice(1).map((t, i) => t - times[i]), setupMs };
  }

  async function measure(label: string) {
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const direct: Sample[] = [];
    const runtime: Sample[] = [];
    const chat: Sample[] = [];
    for (let i = 0; i < chatTurns; i++) {
      direct.push(await directSample());
      runtime.push(await runtimeSample());
      chat.push(await chatSample());
    }
    loop.disable();
    const ttfd = (xs: Sample[]) => [percentile(xs.map((s) => s.ttfdMs), 50), percentile(xs.map((s) => s.ttfdMs), 99)];
    // Overheads compare medians: each sample is a separate request, so pairing them adds noise.
    const overhead = [ttfd(chat)[0] - ttfd(runtime)[0], ttfd(runtime)[0] - ttfd(direct)[0]];
    const gaps = chat.flatMap((s) => s.gapsMs);
    const directGaps = direct.flatMap((s) => s.gapsMs);
    return {
      label,
      ttfdDirect: ttfd(direct),
      ttfdRuntime: ttfd(runtime),
      ttfdChat: ttfd(chat),
      overhead,
      setup: [percentile(chat.map((s) => s.setupMs!), 50), percentile(chat.map((s) => s.setupMs!), 99)],
      gaps: [percentile(gaps, 50), percentile(gaps, 99), Math.max(...gaps)],
      directGaps: [percentile(directGaps, 50), percentile(directGaps, 99)],
      loop: [loop.percentile(50) / 1e6, loop.percentile(99) / 1e6, loop.max / 1e6],
    };
  }

  // Load: scheduled agents streaming heavy output through executeTask, as the scheduler runs them.
  const agentRuntime = commandRuntime(
    commandConfigSchema.parse({
      command: [process.execPath, path.join(root, "test/fixtures/scripted-agent.mjs"), "--rate", String(rate), "--duration-ms", String(3_600_000)],
      outputFormat: "claude-stream-json",
    }),
  );
  const countEvents = db.$client.prepare("SELECT count(*) AS n FROM task_events");
  const events = () => (countEvents.get() as { n: number }).n;

  try {
    await measure("warm-up"); // JIT, connection pool, first SQLite pages
    const idle = await measure("idle");

    const stopAgents = new AbortController();
    const now = Date.now();
    const runs = Array.from({ length: agents }, (_, i) => {
      const id = randomUUID();
      db.insert(tasks).values({ id, title: `bench agent ${i}`, prompt: "work", status: "running", sourceType: "scheduled", maxTurns: 10_000_000, startedAt: now, createdAt: now }).run();
      return executeTask({ db, taskId: id, runtime: agentRuntime, prompt: "work", maxTurns: 10_000_000, signal: stopAgents.signal });
    });
    const before = events();
    // Measure once every agent is at full output.
    while (events() - before < agents * rate) await new Promise((r) => setTimeout(r, 50));
    const loadStart = performance.now();
    const eventsAtStart = events();
    const loaded = await measure(`${agents} agents × ${rate} events/s`);
    const loadSec = (performance.now() - loadStart) / 1000;
    const persisted = events() - eventsAtStart;
    stopAgents.abort("cancelled");
    await Promise.all(runs);

    const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
    console.log(`\nChat isolation: ${chatTurns} chat turns per scenario; the model streams ${chunks} chunks, one every ${chunkDelayMs} ms`);
    console.log(`${new Date().toISOString().slice(0, 10)} · ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
    console.log(
      line([
        "scenario",
        "TTFD direct p50/p99",
        "TTFD runtime p50/p99",
        "TTFD chat p50/p99",
        "first-delta overhead: chat path / runtime (p50)",
        "chat setup p50/p99",
        "chat delta gap p50/p99/max (direct p50/p99)",
        "event-loop delay p50/p99/max",
      ]),
    );
    console.log(line(["---", "---", "---", "---", "---", "---", "---", "---"]));
    for (const r of [idle, loaded]) {
      console.log(
        line([
          r.label,
          `${fmt(r.ttfdDirect[0])} / ${fmt(r.ttfdDirect[1])} ms`,
          `${fmt(r.ttfdRuntime[0])} / ${fmt(r.ttfdRuntime[1])} ms`,
          `${fmt(r.ttfdChat[0])} / ${fmt(r.ttfdChat[1])} ms`,
          `${fmt(r.overhead[0])} / ${fmt(r.overhead[1])} ms`,
          `${fmt(r.setup[0])} / ${fmt(r.setup[1])} ms`,
          `${fmt(r.gaps[0])} / ${fmt(r.gaps[1])} / ${fmt(r.gaps[2])} ms (${fmt(r.directGaps[0])} / ${fmt(r.directGaps[1])})`,
          `${fmt(r.loop[0])} / ${fmt(r.loop[1])} / ${fmt(r.loop[2])} ms`,
        ]),
      );
    }
    console.log(`\nLoad while measuring: ${persisted} task events persisted in ${loadSec.toFixed(1)} s (${Math.round(persisted / loadSec)}/s).`);
    const met = loaded.overhead[0] < 10 && loaded.loop[1] < 20;
    console.log(`Targets under load (chat-path first-delta overhead < 10 ms, event-loop delay p99 < 20 ms): ${met ? "met" : "NOT met"}.`);
  } finally {
    modelServer.kill("SIGKILL");
    await closeDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The scripted server ends its stream with `data: [DONE]`, which isn't JSON: drop that line. */
function sseBody(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(encoder.encode(decoder.decode(chunk, { stream: true }).replace(/data: \[DONE\]\n\n/g, "")));
      },
    }),
  );
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
