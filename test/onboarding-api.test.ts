import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as onboarding } from "@/app/api/onboarding/route";
import { POST as createRuntime } from "@/app/api/runtimes/route";
import { callRoute } from "./http";
import { truncateAll } from "./factories";

const SAVED = ["PATH", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CLAUDE_CONFIG_DIR", "AGENTCRON_OLLAMA_URL"] as const;
let saved: Record<string, string | undefined>;
let tmp: string;

function ollamaServer(models: string[]): Promise<{ url: string; close: () => Promise<void>; hits: () => number }> {
  let hits = 0;
  const srv = http.createServer((req, res) => {
    hits++;
    if (req.url === "/api/tags") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ models: models.map((name) => ({ name })) }));
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) =>
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, hits: () => hits, close: () => new Promise((r) => srv.close(() => r())) });
    }),
  );
}

describe("GET /api/onboarding (runtime detection)", () => {
  beforeEach(async () => {
    await truncateAll();
    saved = Object.fromEntries(SAVED.map((k) => [k, process.env[k]]));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-onboarding-"));
    // Nothing on this machine unless the test puts it there.
    process.env.PATH = path.join(tmp, "bin");
    process.env.CLAUDE_CONFIG_DIR = path.join(tmp, "claude");
    process.env.AGENTCRON_OLLAMA_URL = "http://127.0.0.1:9"; // discard port: nothing answers
    delete process.env.ANTHROPIC_API_KEY;
    delete process.env.OPENAI_API_KEY;
  });
  afterEach(() => {
    for (const k of SAVED) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("finds nothing on a bare machine and offers only the scripted demo agent, labelled as such, which creates a runnable runtime", async () => {
    const res = await callRoute(onboarding, "/api/onboarding");
    expect(res.status).toBe(200);
    expect(res.data.found).toBe(0);
    expect(res.data.checks.map((c: { id: string; found: boolean }) => [c.id, c.found])).toEqual([
      ["claude-code", false],
      ["codex", false],
      ["ollama", false],
      ["openai", false],
      ["scripted-demo", true],
    ]);
    expect(res.data.offers).toHaveLength(1);
    const [demo] = res.data.offers;
    expect(demo).toMatchObject({ id: "scripted-demo", demo: true, label: expect.stringMatching(/demo.*no model/i) });
    // One click: the offer is a POST /api/runtimes body the server accepts (its executable resolves).
    const created = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: demo.runtime });
    expect(created.status).toBe(201);
    expect(created.data.runtime).toMatchObject({ kind: "command", isDefault: true });
  });

  it("finds Claude Code with a key, codex on PATH, Ollama's models and OpenAI — and never answers a key's value", async () => {
    const ollama = await ollamaServer(["llama3.2:latest", "qwen2.5-coder:7b"]);
    try {
      fs.mkdirSync(path.join(tmp, "bin"), { recursive: true });
      fs.writeFileSync(path.join(tmp, "bin", "codex"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      process.env.AGENTCRON_OLLAMA_URL = ollama.url;
      process.env.ANTHROPIC_API_KEY = "sk-ant-canary-123456";
      process.env.OPENAI_API_KEY = "sk-openai-canary-654321";
      const res = await callRoute(onboarding, "/api/onboarding");
      expect(res.status).toBe(200);
      expect(res.text).not.toContain("canary");
      expect(res.data.found).toBe(5);
      expect(res.data.offers.map((o: { id: string }) => o.id)).toEqual(["claude-code", "codex", "ollama:llama3.2:latest", "ollama:qwen2.5-coder:7b", "openai", "scripted-demo"]);
      const byId = Object.fromEntries(res.data.offers.map((o: { id: string }) => [o.id, o]));
      expect(byId["claude-code"].runtime).toEqual({ name: "Claude Code", kind: "claude-agent-sdk", config: {} });
      expect(byId["ollama:llama3.2:latest"].runtime.config).toEqual({ baseUrl: `${ollama.url}/v1`, model: "llama3.2:latest" });
      expect(byId.openai.runtime.config).toMatchObject({ apiKeyEnv: "OPENAI_API_KEY" });
      expect(byId.codex.runtime.config.command[0]).toBe("codex");
      expect(ollama.hits()).toBe(1);
    } finally {
      await ollama.close();
    }
  });

  it("a logged-in Claude account (credentials file present) counts without a key; a non-loopback Ollama URL is never probed", async () => {
    fs.mkdirSync(path.join(tmp, "claude"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "claude", ".credentials.json"), "{}");
    process.env.AGENTCRON_OLLAMA_URL = "http://example.com:11434";
    const res = await callRoute(onboarding, "/api/onboarding");
    const checks = Object.fromEntries(res.data.checks.map((c: { id: string }) => [c.id, c]));
    expect(checks["claude-code"]).toMatchObject({ found: true, detail: expect.stringMatching(/logged in/) });
    expect(checks.ollama).toMatchObject({ found: false, detail: expect.stringMatching(/loopback/) });
    expect(res.data.offers.map((o: { id: string }) => o.id)).toEqual(["claude-code", "scripted-demo"]);
  });
});
