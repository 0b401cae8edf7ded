/**
 * `npm run demo`: Agentcron with the real Claude Code binary running scheduled tasks
 * against a scripted, offline model — no API key, no network.
 *
 * 1. builds when needed, starts the scripted Anthropic Messages server
 *    (test/fixtures/messages-server.mjs) on a free loopback port;
 * 2. starts the production app (`next start`, HOST/PORT, default 127.0.0.1:3000) with
 *    its data in AGENTCRON_DATA_DIR (default ./data/demo);
 * 3. creates (or re-points) a `claude-agent-sdk` runtime labelled "scripted model
 *    (offline demo)" as the default runtime, and two example schedules: every minute
 *    and every 10 seconds.
 * Ctrl-C stops both servers.
 */
import fs from "node:fs";
import path from "node:path";
import { startMessagesServer } from "../test/fixtures/messages-server.mjs";
import { buildIfNeeded, root } from "./build-if-needed.mjs";
import { spawnNextStart, waitForHealth } from "./launch.mjs";

const RUNTIME_NAME = "Claude Code — scripted model (offline demo)";
const DEMO_KEY_ENV = "DEMO_SCRIPTED_API_KEY"; // not AGENTCRON_*: a runtime may never name Agentcron's own variables (ADR 0008)
const SCHEDULES = [
  {
    name: "Demo: repository check-in (every minute)",
    cronExpression: "* * * * *",
    prompt: "Look around the demo workspace and report what you find.",
  },
  {
    name: "Demo: heartbeat (every 10 seconds)",
    cronExpression: "*/10 * * * * *",
    prompt: "Say hello from a scheduled agent.",
  },
];

const host = process.env.HOST || "127.0.0.1";
const port = process.env.PORT || "3000";
const dataDir = path.resolve(process.env.AGENTCRON_DATA_DIR || path.join(root, "data", "demo"));
const workspace = path.join(dataDir, "workspace");
const baseURL = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;

buildIfNeeded();
fs.mkdirSync(workspace, { recursive: true });
fs.writeFileSync(path.join(workspace, "README.txt"), "This folder is the working directory of the demo's scheduled agents.\n");

const model = await startMessagesServer();
// Two tool-using turns and an answer, half a second apart, so runs are visible in the UI.
const modelUrl = model.urlFor({ turns: 3, delayMs: 500 });
console.log(`[demo] scripted Messages server (no real model) on ${model.url}`);

const app = spawnNextStart({ host, port, env: { AGENTCRON_DATA_DIR: dataDir, [DEMO_KEY_ENV]: "sk-ant-offline-demo" } });

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  if (app.exitCode === null) {
    // The app stops its agent runs first; the scripted model must outlive them.
    const exited = new Promise((resolve) => app.once("exit", resolve));
    app.kill("SIGTERM");
    await exited;
  }
  await model.close();
  process.exit(code);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => void stop(0));
app.on("exit", (code) => {
  if (!stopping) {
    console.error(`[demo] the app exited (${code}); stopping`);
    void stop(code ?? 1);
  }
});

async function api(pathname, method = "GET", json) {
  const res = await fetch(`${baseURL}${pathname}`, {
    method,
    headers: {
      ...(json ? { "content-type": "application/json" } : {}),
      // A demo started with AGENTCRON_TOKEN (ADR 0004) calls its API with it.
      ...(process.env.AGENTCRON_TOKEN ? { authorization: `Bearer ${process.env.AGENTCRON_TOKEN}` } : {}),
    },
    body: json ? JSON.stringify(json) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status} ${text}`);
  return data;
}

try {
  await waitForHealth(baseURL);
  const config = { baseUrl: modelUrl, model: "claude-sonnet-4-5", apiKeyEnv: DEMO_KEY_ENV, cwd: workspace, allowedTools: ["Read", "Glob", "Grep", "LS", "Bash"] };
  const { runtimes } = await api("/api/runtimes");
  let runtime = runtimes.find((r) => r.name === RUNTIME_NAME);
  // The scripted server's port changes on every start: re-point an existing demo runtime.
  runtime = runtime
    ? (await api(`/api/runtimes/${runtime.id}`, "PATCH", { config, isDefault: true })).runtime
    : (await api("/api/runtimes", "POST", { name: RUNTIME_NAME, kind: "claude-agent-sdk", config, isDefault: true })).runtime;
  const { schedules } = await api("/api/schedules");
  for (const s of SCHEDULES) {
    if (schedules.some((existing) => existing.name === s.name)) continue;
    await api("/api/schedules", "POST", { ...s, timezone: "UTC", runtimeId: runtime.id, maxTurns: 5 });
  }
  console.log(`
[demo] Agentcron is running at ${baseURL}
[demo] runtime "${RUNTIME_NAME}" runs the real Claude Code binary against the scripted model
[demo] schedules: ${SCHEDULES.map((s) => `"${s.name}"`).join(", ")}
[demo] data in ${dataDir}; Ctrl-C to stop
`);
} catch (err) {
  console.error(`[demo] setup failed: ${err.message}`);
  await stop(1);
}
