/**
 * Issue #10 faults 1–2 against the real server: `kill -9` while agents with grandchildren
 * run and a chat reply streams, then a restart on the same data dir.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCRIPTED_AGENT } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { isRunning, waitFor } from "./support/wait";

const readPids = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number) : []);

describe("kill -9 of the server and a restart on the same data dir", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-crash-e2e-"));
  const servers: TestServer[] = [];
  const pidFile = path.join(tmp, "agent-pids.txt");
  const chatPidFile = path.join(tmp, "chat-pids.txt");
  afterAll(async () => {
    // A server killed by the test has exited already (stop() would wait for an exit that came).
    for (const s of servers) if (s.process.exitCode === null && s.process.signalCode === null) await s.stop().catch(() => {});
    for (const pid of [...readPids(pidFile), ...readPids(chatPidFile)]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    for (const s of servers) fs.rmSync(s.dataDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the restarted server kills the old agents and grandchildren before their retries, starts work at once, and finalizes the dead server's chat reply", async () => {
    const env = { AGENTCRON_RETRY_BACKOFF_SEC: "0" };
    const first = await startServer({ env });
    servers.push(first);
    const command = (args: string[]) => [process.execPath, SCRIPTED_AGENT, "--format", "claude-stream-json", ...args];
    const runtime = async (name: string, args: string[]) =>
      (await first.api("/api/runtimes", { method: "POST", json: { name, kind: "command", config: { command: command(args), promptVia: "stdin", outputFormat: "claude-stream-json" } } })).data.runtime;
    await first.api("/api/settings", { method: "PATCH", json: { maxConcurrent: 2 } });
    const hang = await runtime("hangs with children", ["--hang", "--children", "2", "--setsid-grandchildren", "--pid-file", pidFile]);
    const chatHang = await runtime("chat hangs", ["--hang", "--pid-file", chatPidFile]);
    const parents: string[] = [];
    for (const name of ["long A", "long B"]) {
      const s = (await first.api("/api/schedules", { method: "POST", json: { name, prompt: name, cronExpression: "0 3 1 1 *", runtimeId: hang.id, maxAttempts: 2 } })).data.schedule;
      const run = await first.api(`/api/schedules/${s.id}/execute`, { method: "POST" });
      expect(run.status).toBe(202);
      parents.push(run.data.taskId);
    }
    // A chat reply left streaming by the crash.
    const conv = (await first.api("/api/chat/conversations", { method: "POST", json: { title: "crash", runtimeId: chatHang.id } })).data.conversation;
    const chat = await fetch(`${first.baseURL}/api/chat/conversations/${conv.id}/messages`, {
      method: "POST",
      headers: { origin: first.baseURL, "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ content: "hello" }),
    });
    const reader = chat.body!.getReader();
    await reader.read();
    const oldPids = await waitFor(async () => readPids(pidFile), (p) => p.length >= 10, 30_000, "2 agents × (1 + 2 children + 2 grandchildren)");

    first.process.kill("SIGKILL");
    await new Promise((r) => first.process.once("exit", r));
    void reader.cancel().catch(() => {});
    expect(oldPids.every(isRunning)).toBe(true);

    const second = await startServer({ env, dataDir: first.dataDir });
    const healthyAt = Date.now();
    servers.push(second);
    // Boot recovery ran before /api/health turned 200: the old agents are gone already.
    expect(oldPids.filter(isRunning)).toEqual([]);
    const reply = (await second.api(`/api/chat/conversations/${conv.id}/messages`)).data.messages.find((m: { role: string }) => m.role === "assistant");
    expect(reply.status).toBe("error");

    // Both parents were recovered and their retries started in the boot pass (backoff 0), before
    // the server reported healthy — not after the 30 s heartbeat timeout.
    const retries = await waitFor(
      async () => (await second.api("/api/tasks?limit=50")).data.tasks.filter((t: { parentTaskId: string | null; startedAt: string | null }) => parents.includes(t.parentTaskId ?? "") && t.startedAt),
      (r) => r.length === 2,
      15_000,
      "both retries running",
    );
    for (const r of retries) expect(Date.parse(r.startedAt)).toBeLessThanOrEqual(healthyAt);
    for (const id of parents) expect((await second.api(`/api/tasks/${id}`)).data.task).toMatchObject({ status: "failed", failureReason: "runtime_recovery" });
    expect(oldPids.filter(isRunning)).toEqual([]);
  });
});
