/**
 * Security issue #9 item 4 (ADR 0008): an agent's environment is an allow-list, literal
 * secrets are refused by value and name, named variables can't be Agentcron's own, and
 * the openai-compatible agent gets `run_shell` only when its runtime enables it.
 * Real child processes (the command runtime, `sh` of run_shell) and the scripted
 * chat-completions server.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as list, POST as create } from "@/app/api/runtimes/route";
import { GET as getOne, PATCH as patch } from "@/app/api/runtimes/[id]/route";
import { POST as testRoute } from "@/app/api/runtimes/[id]/test/route";
import { agentEnv, BASE_AGENT_ENV } from "@/lib/runtimes/agent-env";
import { claudeEnv } from "@/lib/runtimes/claude-agent-sdk";
import { openAiCompatibleRuntime } from "@/lib/runtimes/openai-compatible";
import { startOpenAiServer } from "./fixtures/openai-server.mjs";
import type { ScriptedServer } from "./fixtures/messages-server.mjs";
import { makeRuntime, truncateAll } from "./factories";
import { callRoute } from "./http";
import { rowsOf } from "./support/rows";
import { collect } from "./runtimes/harness";

const CANARY_NAME = "AGENTCRON_CANARY_SERVER_SECRET";
const CANARY_VALUE = "canary-value-7f3a9c";
const PASSED_VALUE = "passed-key-value-51d2";
const post = (json: unknown) => callRoute(create, "/api/runtimes", { method: "POST", json });
const rows = async () => rowsOf("runtimes");

beforeAll(() => {
  process.env[CANARY_NAME] = CANARY_VALUE;
  process.env.OTHER_SERVER_VAR = "other-server-value";
  process.env.AGENT_TEST_TEAM_KEY = PASSED_VALUE;
});
afterAll(() => {
  delete process.env[CANARY_NAME];
  delete process.env.OTHER_SERVER_VAR;
  delete process.env.AGENT_TEST_TEAM_KEY;
});
beforeEach(async () => truncateAll());

describe("agent environment allow-list", () => {
  it("a command runtime's process (Test runtime) sees no server variable it doesn't name", async () => {
    const created = await post({
      name: "env printer",
      kind: "command",
      config: { command: ["sh", "-c", "env; echo END"], env: { GREETING: "hi", TEAM_KEY: "${AGENT_TEST_TEAM_KEY}" } },
    });
    expect(created.status).toBe(201);
    const res = await callRoute(testRoute, `/api/runtimes/${created.data.runtime.id}/test`, { method: "POST", params: { id: created.data.runtime.id } });
    expect(res.status).toBe(200);
    expect(res.data.status).toBe("success");
    const names = (res.data.text as string).split("\n").map((l) => l.split("=")[0]);
    // The server's canary is not there, nor any other unnamed variable.
    expect(res.text).not.toContain(CANARY_VALUE);
    expect(names).not.toContain(CANARY_NAME);
    expect(names).not.toContain("OTHER_SERVER_VAR");
    expect(names).not.toContain("AGENTCRON_DATA_DIR");
    // The base variables and the named ones are; a referenced key's value is redacted in the answer.
    expect(names).toContain("PATH");
    expect(res.data.text).toContain("GREETING=hi");
    expect(res.data.text).toContain("TEAM_KEY=[redacted]");
    expect(res.text).not.toContain(PASSED_VALUE);
    const allowed = new Set<string>([...BASE_AGENT_ENV, "GREETING", "TEAM_KEY", "PWD", "SHLVL", "_", "END", "OLDPWD"]);
    expect(names.filter((n) => n && !allowed.has(n))).toEqual([]);
  });

  it("agentEnv copies only the base variables from the server, then config, computed and run variables", () => {
    const source = { PATH: "/bin", HOME: "/h", SECRET_DB_PASSWORD: "x", AGENTCRON_TOKEN: "t".repeat(40), TEAM_KEY: "k" };
    expect(agentEnv({ config: { A: "1", KEY: "${TEAM_KEY}", TOK: "${AGENTCRON_TOKEN}" }, computed: { C: "c", D: undefined }, run: { A: "run" } }, source)).toEqual({
      PATH: "/bin",
      HOME: "/h",
      A: "run",
      KEY: "k",
      C: "c",
    });
    const claude = claudeEnv({ apiKeyEnv: "TEAM_KEY" }, {}, { ...source, SHELL: "/bin/zsh", LOGNAME: "me" });
    expect(Object.keys(claude).sort()).toEqual(["ANTHROPIC_API_KEY", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "CLAUDE_CODE_MAX_RETRIES", "DISABLE_AUTOUPDATER", "HOME", "PATH"]);
  });
});

describe("literal secrets and named variables", () => {
  it.each([
    ["an Anthropic key under a name outside the name pattern", { command: ["agent"], env: { ANTHROPIC_AUTH_HEADER: "sk-ant-api03-AbCdEfGhIjKlMnOp" } }, "config.env.ANTHROPIC_AUTH_HEADER", "sk-ant-api03-AbCdEfGhIjKlMnOp"],
    ["a GitHub token under an innocent name", { command: ["agent"], env: { NOTE: "ghp_abcdefghijklmnopqrstuvwxyz0123" } }, "config.env.NOTE", "ghp_abcdefghijklmnopqrstuvwxyz0123"],
    ["a fine-grained GitHub token", { command: ["agent"], env: { X: "github_pat_11ABCDEFG0abcdefghijklmnop" } }, "config.env.X", "github_pat_11ABCDEFG0abcdefghijklmnop"],
    ["a Slack token", { command: ["agent"], env: { X: "xoxb-1234567890-abcdefghij" } }, "config.env.X", "xoxb-1234567890-abcdefghij"],
    ["an AWS key in argv", { command: ["aws", "--key", "AKIAIOSFODNN7EXAMPLE"] }, "config.command.2", "AKIAIOSFODNN7EXAMPLE"],
    ["a long high-entropy token", { command: ["agent"], env: { X: "a8Fk29sLq0Zx7Vb3Nm5Pw1Rt6Yu4Ie2Oc9" } }, "config.env.X", "a8Fk29sLq0Zx7Vb3Nm5Pw1Rt6Yu4Ie2Oc9"],
    ["an OpenAI key inline in a shell line", { command: ["sh", "-c", "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstu agent"] }, "config.command.2", "sk-proj-abcdefghijklmnopqrstu"],
  ])("refuses %s with a 400 naming the field, echoing nothing", async (_what, config, field, secret) => {
    const res = await post({ name: "x", kind: "command", config });
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(Object.keys(res.data.fields)).toContain(field);
    expect(res.text).not.toContain(secret);
    expect(await rows()).toEqual([]);
  });

  it("refuses a literal secret in a PATCH too, and in the claude-agent-sdk and openai-compatible configs", async () => {
    const rt = await makeRuntime();
    const res = await callRoute(patch, `/api/runtimes/${rt.id}`, { method: "PATCH", params: { id: rt.id }, json: { config: { command: ["agent"], env: { K: "sk-ant-api03-AbCdEfGhIjKlMnOp" } } } });
    expect(res.status).toBe(400);
    expect(res.data.fields).toHaveProperty(["config.env.K"]);
    expect((await rows())[0].config).toEqual(rt.config);
    const claude = await post({ name: "c", kind: "claude-agent-sdk", config: { baseUrl: "http://127.0.0.1:1/?key=sk-ant-api03-AbCdEfGhIjKlMnOp" } });
    expect(claude.status).toBe(400);
    expect(claude.data.fields).toHaveProperty(["config.baseUrl"]);
    const openai = await post({ name: "o", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "ghp_abcdefghijklmnopqrstuvwxyz0123" } });
    expect(openai.status).toBe(400);
    expect(openai.data.fields).toHaveProperty(["config.model"]);
  });

  it("a secret stored before the rule is never answered: GET shows [redacted], the runtime won't run", async () => {
    const secret = "sk-ant-api03-StoredBeforeTheRule";
    const rt = await makeRuntime({ config: { command: ["agent"], env: { ANTHROPIC_AUTH_HEADER: secret } } });
    const one = await callRoute(getOne, `/api/runtimes/${rt.id}`, { params: { id: rt.id } });
    const all = await callRoute(list, "/api/runtimes");
    const tested = await callRoute(testRoute, `/api/runtimes/${rt.id}/test`, { method: "POST", params: { id: rt.id } });
    for (const res of [one, all, tested]) expect(res.text).not.toContain(secret);
    expect(one.data.runtime.config.env.ANTHROPIC_AUTH_HEADER).toBe("[redacted]");
    expect(tested.status).toBe(422);
    expect(tested.data.error).toBe("runtime_unavailable");
  });

  it.each([
    [{ kind: "openai-compatible", config: { baseUrl: "http://evil.example/v1", model: "m", apiKeyEnv: "AGENTCRON_TOKEN" } }, "config.apiKeyEnv"],
    [{ kind: "openai-compatible", config: { baseUrl: "http://evil.example/v1", model: "m", apiKeyEnv: "DATABASE_URL" } }, "config.apiKeyEnv"],
    [{ kind: "openai-compatible", config: { baseUrl: "http://evil.example/v1", model: "m", apiKeyEnv: "HOME" } }, "config.apiKeyEnv"],
    [{ kind: "claude-agent-sdk", config: { apiKeyEnv: "PATH" } }, "config.apiKeyEnv"],
    [{ kind: "claude-agent-sdk", config: { baseUrlEnv: "AGENTCRON_ALLOWED_ORIGINS" } }, "config.baseUrlEnv"],
    [{ kind: "command", config: { command: ["agent"], env: { T: "${AGENTCRON_TOKEN}" } } }, "config.env.T"],
    [{ kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "m", allowShell: "yes" } }, "config.allowShell"],
  ])("refuses a named variable or option outside the rule: %j", async (body, field) => {
    const res = await post({ name: "x", ...body });
    expect(res.status).toBe(400);
    expect(Object.keys(res.data.fields)).toContain(field);
    expect(await rows()).toEqual([]);
  });

  it("accepts ordinary long values: paths, UUID markers, model names, URLs with ids in the path", async () => {
    const res = await post({
      name: "ordinary",
      kind: "command",
      config: {
        command: ["node", "-e", "setTimeout(()=>{}, 600000) // agentcron-e2e-sleeper-0b5c2d1e-9f3a-4c6b-8e7d-1a2b3c4d5e6f", "--model", "claude-sonnet-4-5-20250929"],
        cwd: "/home/user/projects/my-agent-workspace-2024/data",
        env: { MODEL_URL: "http://127.0.0.1:4000/s/eyJ0dXJucyI6MiwiZGVsYXlNcyI6NTB9/v1", TEAM_KEY: "${AGENT_TEST_TEAM_KEY}" },
      },
    });
    expect(res.status).toBe(201);
  });

  it("accepts a key-like apiKeyEnv and ${NAME} references", async () => {
    const res = await post({ name: "o", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "m", apiKeyEnv: "OPENAI_API_KEY", allowShell: true } });
    expect(res.status).toBe(201);
    expect(res.data.runtime.config.allowShell).toBe(true);
  });
});

describe("openai-compatible run_shell is opt-in", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const toolsOffered = (from: number) => server.requests.slice(from).map((r) => (r.body?.tools ?? []).map((t: { function: { name: string } }) => t.function.name));

  it("is absent from the tool set by default", async () => {
    const from = server.requests.length;
    const runtime = openAiCompatibleRuntime({ baseUrl: `${server.urlFor({ turns: 1 })}/v1`, model: "scripted" });
    const { result } = await collect(runtime, { maxTurns: 1 });
    expect(result?.status).toBe("success");
    const offered = toolsOffered(from);
    expect(offered.length).toBeGreaterThan(0);
    for (const tools of offered) {
      expect(tools).toContain("read_file");
      expect(tools).not.toContain("run_shell");
    }
  });

  it("a key the model server echoes back in its refusal is redacted from the run's error", async () => {
    const runtime = openAiCompatibleRuntime({ baseUrl: `${server.urlFor({ status: 401 })}/v1`, model: "scripted", apiKeyEnv: "AGENT_TEST_TEAM_KEY" });
    const { result } = await collect(runtime, { maxTurns: 1 });
    expect(result).toMatchObject({ status: "error", failureReason: "auth_failed" });
    expect(result?.error).toContain("Incorrect API key provided: [redacted]");
    expect(result?.error).not.toContain(PASSED_VALUE);
  });

  it("is offered with allowShell, and its shell gets the allow-listed environment", async () => {
    const from = server.requests.length;
    const runtime = openAiCompatibleRuntime({ baseUrl: `${server.urlFor({ hangTool: "env" })}/v1`, model: "scripted", allowShell: true });
    const { events } = await collect(runtime, { maxTurns: 1 });
    expect(toolsOffered(from)[0]).toContain("run_shell");
    const output = events.filter((e) => e.type === "tool_result").map((e) => (e as { output: string }).output).join("\n");
    expect(output).toContain("exit code: 0");
    expect(output).toContain("PATH=");
    expect(output).not.toContain(CANARY_NAME);
    expect(output).not.toContain("OTHER_SERVER_VAR");
  });
});
