/**
 * Security issue #9 items 4–5 against the real production server (real HTTP, real
 * child processes): the server's own environment never reaches an agent, a literal
 * secret is refused, and out-of-range or NUL-bearing input is a 400 that leaves every
 * read working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";

const CANARY = "e2e-canary-value-4b1f07";
const TEAM_KEY = "e2e-team-key-value-9c2e55";

describe("agent environment and input bounds (production server)", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { AGENTCRON_E2E_CANARY: CANARY, ANTHROPIC_API_KEY: CANARY, E2E_TEAM_KEY: TEAM_KEY } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("Test runtime of a command that prints its environment shows no server variable it doesn't name", async () => {
    const created = await server.api("/api/runtimes", {
      method: "POST",
      json: { name: "env printer", kind: "command", config: { command: ["sh", "-c", "env"], env: { TEAM_KEY: "${E2E_TEAM_KEY}" } } },
    });
    expect(created.status).toBe(201);
    const tested = await server.api(`/api/runtimes/${created.data.runtime.id}/test`, { method: "POST" });
    expect(tested.status).toBe(200);
    const text = tested.data.text as string;
    expect(text).toMatch(/^PATH=/m);
    expect(text).not.toContain(CANARY);
    expect(text).not.toMatch(/^(AGENTCRON_|ANTHROPIC_API_KEY|NODE_OPTIONS|PORT=|HOSTNAME=)/m);
    expect(text).toContain("TEAM_KEY=[redacted]");
    expect(JSON.stringify(tested.data)).not.toContain(TEAM_KEY);
  });

  it("a literal secret is refused naming the field, and never echoed", async () => {
    const res = await server.api("/api/runtimes", {
      method: "POST",
      json: { name: "leaky", kind: "command", config: { command: ["agent"], env: { ANTHROPIC_AUTH: "sk-ant-api03-E2eLiteralSecretValue" } } },
    });
    expect(res.status).toBe(400);
    expect(res.data.fields).toHaveProperty(["config.env.ANTHROPIC_AUTH"]);
    expect(JSON.stringify(res.data)).not.toContain("E2eLiteralSecretValue");
    const key = await server.api("/api/runtimes", {
      method: "POST",
      json: { name: "exfil", kind: "openai-compatible", config: { baseUrl: "http://evil.example/v1", model: "m", apiKeyEnv: "AGENTCRON_TOKEN" } },
    });
    expect(key.status).toBe(400);
    expect(key.data.fields).toHaveProperty(["config.apiKeyEnv"]);
  });

  it("expiresAt 1e300 and a NUL in a prompt are 400s, and the schedule list still answers", async () => {
    for (const expiresAt of [1e300, -1e308, 2 ** 53]) {
      const res = await server.api("/api/schedules", { method: "POST", json: { name: "far", prompt: "p", cronExpression: "0 9 * * *", expiresAt } });
      expect(res.status).toBe(400);
      expect(res.data.fields).toHaveProperty("expiresAt");
    }
    const nul = await server.api("/api/schedules", { method: "POST", json: { name: "nul", prompt: "a\u0000b", cronExpression: "0 9 * * *" } });
    expect(nul.status).toBe(400);
    expect(nul.data.fields.prompt).toMatch(/NUL/);
    const list = await server.api("/api/schedules");
    expect(list.status).toBe(200);
    expect(list.data.schedules).toEqual([]);
  });
});
