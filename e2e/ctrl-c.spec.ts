/**
 * Issue #10 fault 3: Ctrl-C in a terminal sends SIGINT to the whole foreground process
 * group — the launcher and `next start` both get it, and the launcher forwards one more.
 * The server must stop once, cleanly: runner marked stopped, no agent process left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SCRIPTED_AGENT } from "./support/dashboard";
import { freePort } from "./support/server";
import { isRunning, waitFor } from "./support/wait";

const ROOT = path.resolve(__dirname, "..");
let job: ChildProcess | null = null;
const dirs: string[] = [];

afterEach(() => {
  if (job?.pid) {
    try {
      process.kill(-job.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  job = null;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Starts `node <script>` the way a terminal runs a job: in a process group of its own. */
async function startJob(script: string) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-ctrlc-"));
  dirs.push(dataDir);
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  let output = "";
  job = spawn(process.execPath, [path.join(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), AGENTCRON_DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  job.stdout!.on("data", (d) => (output += d));
  job.stderr!.on("data", (d) => (output += d));
  const api = async (pathname: string, method = "GET", json?: unknown) => {
    const res = await fetch(`${baseURL}${pathname}`, {
      method,
      headers: { origin: baseURL, ...(json ? { "content-type": "application/json" } : {}) },
      body: json ? JSON.stringify(json) : undefined,
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  };
  await waitFor(async () => (await fetch(`${baseURL}/api/health`).catch(() => null))?.status ?? 0, (s) => s === 200, 90_000, "the app to be healthy");
  return { job, dataDir, api, output: () => output };
}

/** Ctrl-C: SIGINT to every process of the job's group; resolves with the launcher's exit. */
async function ctrlC(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  process.kill(-child.pid!, "SIGINT");
  return exited;
}

function runnerRows(dataDir: string): { stoppedAt: number | null }[] {
  const db = new Database(path.join(dataDir, "agentcron.db"), { readonly: true });
  try {
    return db.prepare("SELECT stopped_at AS stoppedAt FROM runners").all() as { stoppedAt: number | null }[];
  } finally {
    db.close();
  }
}

/** Live processes whose working directory is inside `dir`. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if ((cwd === dir || cwd.startsWith(dir + path.sep)) && isRunning(Number(name))) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

describe("Ctrl-C in a terminal (SIGINT to the whole process group)", () => {
  it("`npm start` (scripts/start.mjs): one clean stop — exit 130, runner marked stopped, no agent process left", async () => {
    const app = await startJob("scripts/start.mjs");
    const pidFile = path.join(app.dataDir, "pids.txt");
    const rt = await app.api("/api/runtimes", "POST", {
      name: "hangs stubbornly",
      kind: "command",
      config: { command: [process.execPath, SCRIPTED_AGENT, "--format", "claude-stream-json", "--hang", "--stubborn", "--children", "2", "--pid-file", pidFile], promptVia: "stdin", outputFormat: "claude-stream-json" },
    });
    const schedule = await app.api("/api/schedules", "POST", { name: "Long job", prompt: "work", cronExpression: "0 3 1 1 *", runtimeId: rt.data.runtime.id });
    expect((await app.api(`/api/schedules/${schedule.data.schedule.id}/execute`, "POST")).status).toBe(202);
    const pids = await waitFor(async () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : []), (p) => p.length >= 5, 20_000, "agent pids");

    const exit = await ctrlC(app.job);
    expect(exit, app.output()).toEqual({ code: 130, signal: null });
    expect(app.output()).toContain("stopping scheduler and agent runs");
    expect(pids.filter(isRunning)).toEqual([]);
    expect(runnerRows(app.dataDir).map((r) => r.stoppedAt != null)).toEqual([true]);
  });

  it("`npm run demo` (scripts/demo.mjs) during a Claude Code run: exits 0, runner marked stopped, no agent process left", async () => {
    const app = await startJob("scripts/demo.mjs");
    const workspace = path.join(app.dataDir, "workspace");
    // A scheduled run of the real Claude Code binary is in flight (the every-10-seconds schedule).
    await waitFor(async () => processesIn(workspace), (p) => p.length > 0, 60_000, "a Claude Code process in the demo workspace");

    const exit = await ctrlC(app.job);
    expect(exit, app.output()).toEqual({ code: 0, signal: null });
    expect(processesIn(workspace)).toEqual([]);
    expect(runnerRows(app.dataDir).map((r) => r.stoppedAt != null)).toEqual([true]);
  });
});
