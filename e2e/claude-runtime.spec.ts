/**
 * The real Claude Code binary, through the Claude Agent SDK, run by the production
 * server (`next start`) against the scripted Messages server: once through the
 * runtime test endpoint, once fired by a schedule on a 2-second cron.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMessagesServer, type ScriptedServer } from "../test/fixtures/messages-server.mjs";
import { startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/wait";

/** Every descendant of `pid` as [pid, command] (from one `ps` snapshot, so no pidtree needed here). */
function descendants(pid: number): Map<number, string> {
  const rows = spawnSync("ps", ["-eo", "pid=,ppid=,stat=,args="], { encoding: "utf8" }).stdout.trim().split("\n");
  const children = new Map<number, { pid: number; stat: string; args: string }[]>();
  for (const row of rows) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(row);
    if (!m) continue;
    const entry = { pid: Number(m[1]), stat: m[3], args: m[4] };
    const list = children.get(Number(m[2])) ?? [];
    list.push(entry);
    children.set(Number(m[2]), list);
  }
  const found = new Map<number, string>();
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      if (!c.stat.startsWith("Z")) found.set(c.pid, c.args);
      walk(c.pid);
    }
  };
  walk(pid);
  return found;
}

describe("claude-agent-sdk runtime in the production server", () => {
  let model: ScriptedServer;
  let server: TestServer;
  let runtimeId: string;

  beforeAll(async () => {
    model = await startMessagesServer();
    // Claude Code keeps state under HOME (~/.claude: settings, shell snapshots for its Bash
    // tool, sessions). A fresh HOME per run keeps the machine's own state — another Claude
    // Code, an earlier run — from changing what these runs do.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-e2e-home-"));
    server = await startServer({ env: { HOME: home, E2E_SCRIPTED_KEY: "sk-ant-e2e", CLAUDE_CODE_MAX_RETRIES: "0" } });
    const created = await server.api("/api/runtimes", {
      method: "POST",
      json: {
        name: "Claude Code (scripted model)",
        kind: "claude-agent-sdk",
        config: { baseUrl: model.urlFor({ turns: 2 }), model: "claude-sonnet-4-5", apiKeyEnv: "E2E_SCRIPTED_KEY" },
      },
    });
    expect(created.status).toBe(201);
    expect(created.data.runtime.isDefault).toBe(true);
    runtimeId = created.data.runtime.id;
  });

  afterAll(async () => {
    await server?.stop();
    await model?.close();
  });

  it("POST /api/runtimes/:id/test runs one Claude Code turn from the Next.js build", async () => {
    const res = await server.api(`/api/runtimes/${runtimeId}/test`, { method: "POST", json: { prompt: "ping from e2e" } });
    expect(res.status).toBe(200);
    // The script wants a tool turn first; the test budget is one turn.
    expect(res.data).toMatchObject({ status: "max_turns", turns: 1 });
    expect(model.requests.some((r) => r.path.endsWith("/v1/messages") && JSON.stringify(r.body).includes("ping from e2e"))).toBe(true);
  });

  it("a schedule on a 2-second cron fires a real Claude Code run that completes with its events and turns", async () => {
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Every two seconds", prompt: "Check the build", cronExpression: "*/2 * * * * *", runtimeId, maxTurns: 5 },
    });
    expect(created.status).toBe(201);
    const scheduleId = created.data.schedule.id;

    const finished = await waitFor(
      async () => {
        const { data } = await server.api(`/api/tasks?scheduleId=${scheduleId}`);
        return (data?.tasks ?? []).find((t: { status: string }) => ["completed", "failed", "cancelled"].includes(t.status));
      },
      (task) => !!task,
      90_000,
      "a finished task of the schedule",
    );
    await server.api(`/api/schedules/${scheduleId}`, { method: "PATCH", json: { status: "paused" } });

    const { status, data } = await server.api(`/api/tasks/${finished.id}`);
    expect(status).toBe(200);
    expect(data.task).toMatchObject({ status: "completed", failureReason: null, turnCount: 2, sourceType: "scheduled", runtimeId });
    expect(data.task.result).toContain("done: Check the build");
    expect(data.task.sessionId).toBeTruthy();
    expect(data.task.inputTokens).toBeGreaterThan(0);

    const events = await server.api(`/api/tasks/${finished.id}/events`);
    expect(events.status).toBe(200);
    const types = events.data.events.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === "assistant")).toHaveLength(2);
    expect(types).toContain("tool_call");
    expect(types).toContain("tool_result");
    expect(types.at(-1)).toBe("result");
  });

  it("cancelling a running task leaves no process of the run behind", async () => {
    const hanging = await server.api("/api/runtimes", {
      method: "POST",
      json: {
        name: "Claude Code (hanging tool)",
        kind: "claude-agent-sdk",
        config: { baseUrl: model.urlFor({ hangTool: "(tail -f /dev/null & tail -f /dev/null)" }), model: "claude-sonnet-4-5", apiKeyEnv: "E2E_SCRIPTED_KEY" },
      },
    });
    const schedule = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Hangs until cancelled", prompt: "Wait forever", cronExpression: "0 0 1 1 *", runtimeId: hanging.data.runtime.id, maxTurns: 5 },
    });
    const serverPid = server.process.pid!;
    const before = descendants(serverPid);
    const started = await server.api(`/api/schedules/${schedule.data.schedule.id}/execute`, { method: "POST" });
    expect(started.status).toBe(202);

    const during = await waitFor(
      async () => descendants(serverPid),
      (now) => [...now.values()].filter((args) => args.startsWith("tail -f")).length >= 2,
      60_000,
      "Claude Code's Bash tool processes",
    );
    const runPids = [...during.keys()].filter((p) => !before.has(p));
    expect([...during.values()].some((args) => /claude/.test(args))).toBe(true);

    const cancelled = await server.api(`/api/tasks/${started.data.taskId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.data.task.status).toBe("cancelled");
    // API.md: the agent's processes are gone when cancel returns or within 10 s.
    const left = await waitFor(
      async () => {
        const now = descendants(serverPid);
        const alive = runPids.filter((p) => now.has(p));
        return alive.length === 0 ? "none" : null;
      },
      (v) => v !== null,
      10_000,
      `the run's processes to exit (${runPids.join(", ")})`,
    );
    expect(left).toBe("none");
  });
});
