import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeScriptedRuntime } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { isRunning, waitFor } from "./support/wait";

describe("stopping the server (SIGTERM to `next start`)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-shutdown-e2e-"));
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.each([
    ["as `npm start` runs it (the boot hook owns the exit)", "true"],
    ["as plain `next start` runs it (Next.js exits at once)", ""],
  ])("leaves no process of a running agent behind, even one that ignores SIGTERM, %s", async (_mode, manualSignals) => {
    server = await startServer({ env: { NEXT_MANUAL_SIG_HANDLE: manualSignals } });
    const pidFile = path.join(tmp, `pids-${manualSignals || "next"}.txt`);
    const runtime = await makeScriptedRuntime(server, "hangs stubbornly", ["--hang", "--stubborn", "--children", "2", "--pid-file", pidFile]);
    const schedule = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Long job", prompt: "work forever", cronExpression: "0 3 1 1 *", runtimeId: runtime.id },
    });
    const run = await server.api(`/api/schedules/${schedule.data.schedule.id}/execute`, { method: "POST" });
    expect(run.status).toBe(202);
    const pids = await waitFor(
      async () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : []),
      (p) => p.length >= 5,
      15_000,
      "agent + 2 children + 2 grandchildren pids",
    );
    expect(pids.every(isRunning)).toBe(true);

    const stopping = server;
    server = undefined;
    await stopping.stop();
    expect(stopping.output()).toContain("stopping scheduler and agent runs");
    await waitFor(async () => pids.filter(isRunning), (left) => left.length === 0, 10_000, "every process of the run to be gone");
  });
});
