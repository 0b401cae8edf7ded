/**
 * The security boundary against the real production server (issue #9, ADR 0004): the
 * attacks of the issue replayed over raw HTTP (any Host header), the token with the
 * browser sign-in flow in Chromium, and the refusal to start exposed without a token.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { spawnNextStart } from "../scripts/launch.mjs";
import { launchChromium } from "./support/chromium";
import { makeScriptedRuntime, newPage } from "./support/dashboard";
import { rawRequest } from "./support/raw-http";
import { runToExit } from "./support/wait";
import { freePort, startServer, type TestServer } from "./support/server";

const ROOT = path.resolve(__dirname, "..");
const TOKEN = "e2e-token-0123456789abcdef0123456789abcdef";
const portOf = (server: TestServer) => Number(new URL(server.baseURL).port);
const shBody = JSON.stringify({ name: "rebound", kind: "command", config: { command: ["/bin/sh", "-c", "echo owned > /tmp/agentcron-owned"] } });

describe("boundary of a loopback server without a token", () => {
  let server: TestServer;
  let port: number;
  let taskId: string;
  let runtimeId: string;
  const evil = () => ({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` });

  beforeAll(async () => {
    server = await startServer({ env: { AGENTCRON_ALLOWED_ORIGINS: "http://agentcron.test" } });
    port = portOf(server);
    runtimeId = (await makeScriptedRuntime(server, "quick", [])).id;
    const schedule = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Nightly", prompt: "hi", cronExpression: "0 3 1 1 *", runtimeId },
    });
    taskId = (await server.api(`/api/schedules/${schedule.data.schedule.id}/execute`, { method: "POST" })).data.taskId;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("refuses a DNS-rebinding Host on GET, POST, runtime test, an SSE stream and a page", async () => {
    const get = await rawRequest(port, { path: "/api/runtimes", headers: evil() });
    expect(get.status).toBe(403);
    expect(get.headers["content-type"]).toMatch(/application\/json/);
    expect(get.json()).toMatchObject({ error: "host_not_allowed", message: expect.any(String) });

    const post = await rawRequest(port, { method: "POST", path: "/api/runtimes", headers: { ...evil(), "content-type": "application/json" }, body: shBody });
    expect(post.status).toBe(403);
    expect(post.json().error).toBe("host_not_allowed");
    const testRun = await rawRequest(port, { method: "POST", path: `/api/runtimes/${runtimeId}/test`, headers: { ...evil(), "content-type": "application/json" }, body: "{}" });
    expect(testRun.status).toBe(403);
    expect((await server.api("/api/runtimes")).data.runtimes.map((r: { name: string }) => r.name)).toEqual(["quick"]);

    const sse = await rawRequest(port, { path: `/api/tasks/${taskId}/events`, headers: { ...evil(), accept: "text/event-stream" }, firstChunkOnly: true });
    expect(sse.status).toBe(403);
    expect(sse.json().error).toBe("host_not_allowed");
    // The same stream on the loopback Host is served: the 403 above is the Host, not the task.
    const ownSse = await rawRequest(port, { path: `/api/tasks/${taskId}/events`, headers: { host: `127.0.0.1:${port}`, accept: "text/event-stream" }, firstChunkOnly: true });
    expect(ownSse.status).toBe(200);
    expect(ownSse.headers["content-type"]).toMatch(/text\/event-stream/);

    const page = await rawRequest(port, { path: "/", headers: evil() });
    expect(page.status).toBe(403);
    expect(page.headers["content-type"]).toMatch(/text\/plain/);
    expect(page.body).not.toContain("<html");
  });

  it("ignores X-Forwarded-Host/Proto without AGENTCRON_TRUST_PROXY", async () => {
    const spoofed = await rawRequest(port, { path: "/api/runtimes", headers: { host: `evil.example:${port}`, "x-forwarded-host": `127.0.0.1:${port}` } });
    expect(spoofed.status).toBe(403);
    const forgedWrite = await rawRequest(port, {
      method: "POST",
      path: "/api/runtimes",
      headers: { host: `127.0.0.1:${port}`, "x-forwarded-host": `evil.example:${port}`, origin: `http://evil.example:${port}`, "content-type": "application/json" },
      body: shBody,
    });
    expect(forgedWrite.status).toBe(403);
    expect(forgedWrite.json().error).toBe("cross_origin");
    const forgedRead = await rawRequest(port, { path: "/api/runtimes", headers: { host: `127.0.0.1:${port}`, "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" } });
    expect(forgedRead.status).toBe(200);
  });

  it("serves the origins in AGENTCRON_ALLOWED_ORIGINS, and writes without Origin on loopback (curl)", async () => {
    const host = { host: "agentcron.test" };
    expect((await rawRequest(port, { path: "/api/runtimes", headers: host })).status).toBe(200);
    const page = await rawRequest(port, { path: "/", headers: host });
    expect(page.status).toBe(200);
    expect(page.body).toContain("<html");
    const write = await rawRequest(port, {
      method: "POST",
      path: "/api/runtimes",
      headers: { ...host, origin: "http://agentcron.test", "content-type": "application/json" },
      body: JSON.stringify({ name: "allowed origin", kind: "command", config: { command: ["/bin/true"] } }),
    });
    expect(write.status).toBe(201);
    const otherScheme = await rawRequest(port, { method: "DELETE", path: `/api/runtimes/${write.json().runtime.id}`, headers: { ...host, origin: "https://agentcron.test" } });
    expect(otherScheme.status).toBe(403);
    expect(otherScheme.json().error).toBe("cross_origin");
    const curl = await rawRequest(port, { method: "DELETE", path: `/api/runtimes/${write.json().runtime.id}`, headers: { host: `127.0.0.1:${port}` } });
    expect(curl.status).toBe(204);
  });

  it("answers every /api error as JSON: 405 with Allow, 404 for /api, 400 for a malformed escape", async () => {
    const loopback = { host: `127.0.0.1:${port}` };
    const del = await rawRequest(port, { method: "DELETE", path: "/api/tasks", headers: loopback });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("GET, HEAD, OPTIONS");
    expect(del.json()).toMatchObject({ error: "method_not_allowed", message: expect.any(String) });
    const getTest = await rawRequest(port, { path: `/api/runtimes/${runtimeId}/test`, headers: loopback });
    expect(getTest.status).toBe(405);
    expect(getTest.headers.allow).toBe("OPTIONS, POST");
    for (const p of ["/api", "/api/nope", "/api/nope/deeper"]) {
      const res = await rawRequest(port, { path: p, headers: loopback });
      expect(res.status, p).toBe(404);
      expect(res.json().error, p).toBe("not_found");
    }
    for (const p of ["/api/%zz", `/api/tasks/%E0%A4%A`, "/api/schedules/%"]) {
      const res = await rawRequest(port, { path: p, headers: loopback });
      expect(res.status, p).toBe(400);
      expect(res.headers["content-type"], p).toMatch(/application\/json/);
      expect(res.json(), p).toMatchObject({ error: "invalid_request", message: expect.any(String) });
    }
  });
});

describe("AGENTCRON_TOKEN behind a trusted reverse proxy", () => {
  let server: TestServer;
  let browser: Browser;
  let port: number;
  const bearer = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    server = await startServer({
      env: { AGENTCRON_TOKEN: TOKEN, AGENTCRON_ALLOWED_ORIGINS: "https://cron.example.com", AGENTCRON_TRUST_PROXY: "1" },
    });
    port = portOf(server);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("requires the bearer on the API (health stays open)", async () => {
    const none = await server.api("/api/runtimes");
    expect(none.status).toBe(401);
    expect(none.data).toMatchObject({ error: "unauthorized", message: expect.any(String) });
    expect((await server.api("/api/runtimes", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await server.api("/api/runtimes", { method: "POST", json: JSON.parse(shBody) })).status).toBe(401);
    expect((await server.api("/api/runtimes", { headers: bearer })).status).toBe(200);
    expect((await server.api("/api/health")).status).toBe(200);
  });

  it("honours X-Forwarded-Host/Proto with AGENTCRON_TRUST_PROXY=1 for an allowed origin only", async () => {
    const viaProxy = { host: `127.0.0.1:${port}`, "x-forwarded-host": "cron.example.com", "x-forwarded-proto": "https", ...bearer };
    expect((await rawRequest(port, { path: "/api/runtimes", headers: viaProxy })).status).toBe(200);
    const write = await rawRequest(port, {
      method: "POST",
      path: "/api/runtimes",
      headers: { ...viaProxy, origin: "https://cron.example.com", "content-type": "application/json" },
      body: JSON.stringify({ name: "made by token", kind: "command", config: { command: ["/bin/true"] } }),
    });
    expect(write.status).toBe(201);
    const evilForwarded = await rawRequest(port, { path: "/api/runtimes", headers: { ...viaProxy, "x-forwarded-host": "evil.example" } });
    expect(evilForwarded.status).toBe(403);
    expect(evilForwarded.json().error).toBe("host_not_allowed");
  });

  it("signs a browser in on the sign-in page (wrong token refused) and serves the dashboard with the cookie", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/settings`);
    await page.waitForURL(/\/sign-in\?next=%2Fsettings$/);
    await page.getByLabel("Access token").fill("not-the-token-but-long-enough-0123456789");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "not this server" }).waitFor();
    expect(await page.context().cookies()).toEqual([]);

    await page.getByLabel("Access token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${server.baseURL}/settings`);
    await page.getByText("made by token").first().waitFor();
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: "agentcron_session", httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookie.value).not.toContain(TOKEN);
    // The cookie opens the API too; a fresh browser without it is sent back to sign in.
    const status = await page.evaluate(async () => (await fetch("/api/runtimes")).status);
    expect(status).toBe(200);
    await page.context().close();
    const other = await newPage(browser);
    await other.goto(`${server.baseURL}/tasks`);
    await other.waitForURL(/\/sign-in\?next=%2Ftasks$/);
    await other.context().close();
  });
});

describe("refusing to start exposed without a token", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-e2e-exposed-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const noToken = { AGENTCRON_TOKEN: "", AGENTCRON_DATA_DIR: dataDir };
  const expectRefusal = ({ code, output }: { code: number | null; output: string }) => {
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const line = output.split("\n").find((l) => l.includes("refusing to start"));
    expect(line, output).toMatch(/listening on 0\.0\.0\.0 .*set AGENTCRON_TOKEN to a secret of at least 32 characters/);
  };

  it("`next start -H 0.0.0.0` (the boot hook) exits non-zero with the one-line reason", async () => {
    const port = await freePort();
    expectRefusal(await runToExit(spawnNextStart({ host: "0.0.0.0", port, env: noToken, stdio: ["ignore", "pipe", "pipe"] })));
  });

  it("plain `next start` (Next listens on every interface) exits the same way", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port)], {
      cwd: ROOT,
      env: { ...process.env, ...noToken, NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expectRefusal(await runToExit(child));
  });

  it("`npm start` with HOST=0.0.0.0 refuses before building; with a short token it says so", async () => {
    const start = (env: Record<string, string>) =>
      runToExit(spawn(process.execPath, [path.join(ROOT, "scripts/start.mjs")], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
    const refused = await start({ ...noToken, HOST: "0.0.0.0", PORT: String(await freePort()) });
    expectRefusal(refused);
    // The refusal is all it printed: no build, no Next.js banner.
    expect(refused.output.trim().split("\n")).toHaveLength(1);
    const short = await start({ AGENTCRON_TOKEN: "too-short", HOST: "0.0.0.0", AGENTCRON_DATA_DIR: dataDir });
    expect(short.code).toBe(1);
    expect(short.output).toMatch(/AGENTCRON_TOKEN is 9 characters long/);
  });

  it("starts on 0.0.0.0 with a token, and still refuses a foreign Host there", async () => {
    const port = await freePort();
    const child = spawnNextStart({ host: "0.0.0.0", port, env: { AGENTCRON_TOKEN: TOKEN, AGENTCRON_DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    try {
      const deadline = Date.now() + 60_000;
      let health = 0;
      while (Date.now() < deadline && health !== 200) {
        health = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status, () => 0);
        if (health !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(health).toBe(200);
      expect((await rawRequest(port, { path: "/api/runtimes", headers: { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
      expect((await rawRequest(port, { path: "/api/runtimes", headers: { host: `127.0.0.1:${port}` } })).status).toBe(401);
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
  });
});
