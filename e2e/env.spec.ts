/**
 * src/lib/env.ts against the real production server: `next start` with a bad variable
 * stops at the boot hook with one line naming it, and a server started with valid typed
 * values answers errors from the one catalogue (errors.ts) through the proxy and route().
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runToExit } from "./support/wait";
import { freePort, startServer } from "./support/server";

const ROOT = path.resolve(__dirname, "..");

describe("environment validated at boot", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-e2e-env-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));


  it("`next start` with bad values exits non-zero with one line naming each variable, secrets not echoed", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: ROOT,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: "1",
        AGENTCRON_DATA_DIR: dataDir,
        AGENTCRON_TOKEN: "",
        SCHEDULE_MAX_CONCURRENT: "lots",
        AGENTCRON_RUNNER_CAPACITY: "0",
        DATABASE_URL: "mysql://agentcron:hunter2@db/agentcron",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { code, output } = await runToExit(child);
    expect(code, output).not.toBe(0);
    expect(code, output).not.toBeNull();
    const lines = output.split("\n").filter((l) => l.includes("refusing to start"));
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL must be a PostgreSQL URL/);
    expect(lines[0]).toContain('AGENTCRON_RUNNER_CAPACITY="0" must be a whole number between 1 and 1000');
    expect(lines[0]).toContain('SCHEDULE_MAX_CONCURRENT="lots" must be a whole number between 1 and 1000');
    expect(output).not.toContain("hunter2");
    // It never migrated or booted: no database file was written.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it("serves with valid typed values: the env wins in settings, and errors come from the catalogue", async () => {
    const server = await startServer({ env: { SCHEDULE_MAX_CONCURRENT: "3", AGENTCRON_RUNNER_CAPACITY: "2", AGENTCRON_RETRY_BACKOFF_SEC: "5,10" } });
    try {
      const settings = await server.api("/api/settings");
      expect(settings.data).toMatchObject({ maxConcurrent: 3, lockedByEnv: ["maxConcurrent"] });
      const unknown = await server.api("/api/nope");
      expect(unknown).toMatchObject({ status: 404, data: { error: "not_found" } });
      const missing = await server.api("/api/schedules/no-such-id");
      expect(missing).toMatchObject({ status: 404, data: { error: "schedule_not_found" } });
      const bad = await server.api("/api/schedules", { method: "POST", json: { name: "x" } });
      expect(bad.status).toBe(400);
      expect(bad.data).toMatchObject({ error: "invalid_request", fields: { prompt: expect.any(String) } });
      const wrongMethod = await fetch(`${server.baseURL}/api/health`, { method: "DELETE" });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    } finally {
      await server.stop();
    }
  });
});
