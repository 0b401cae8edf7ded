import path from "node:path";
import { describe, expect, it } from "vitest";
import { claudeAgentSdkRuntime, claudeEnv } from "@/lib/runtimes/claude-agent-sdk";
import { startMessagesServer } from "../fixtures/messages-server.mjs";
import { collect, FIXTURES } from "./harness";

const FAKE_CLI = path.join(FIXTURES, "fake-claude-cli.mjs");
process.env.SCRIPTED_ANTHROPIC_KEY = "sk-ant-scripted";

describe("claude-agent-sdk runtime", () => {
  it("keeps the result message when the iterator throws after it", async () => {
    const runtime = claudeAgentSdkRuntime({ executable: FAKE_CLI });
    const { result, events } = await collect(runtime, { env: { FAKE_CLAUDE_EXIT_AFTER_RESULT: "1" } });
    expect(result).toMatchObject({ status: "success", text: "fake answer", turns: 1, sessionId: "fake-session-1", costUsd: 0.5, inputTokens: 7, outputTokens: 3 });
    expect(events.filter((e) => e.type === "result")).toHaveLength(1);
  });

  it("a missing executable fails as runtime_missing_executable naming the path", async () => {
    const { result } = await collect(claudeAgentSdkRuntime({ executable: "/opt/missing/claude" }));
    expect(result).toMatchObject({ status: "error", failureReason: "runtime_missing_executable" });
    expect(result?.error).toContain("/opt/missing/claude");
  });

  it("resuming a session Claude Code no longer has starts a new session instead of failing", async () => {
    const server = await startMessagesServer();
    try {
      const runtime = claudeAgentSdkRuntime({ baseUrl: server.urlFor({ turns: 1 }), model: "claude-sonnet-4-5", apiKeyEnv: "SCRIPTED_ANTHROPIC_KEY" });
      const stale = "5b0c5c1e-0000-4000-8000-000000000000";
      const { result, events } = await collect(runtime, { resumeSessionId: stale, env: { CLAUDE_CODE_MAX_RETRIES: "0" } });
      expect(result).toMatchObject({ status: "success", turns: 1 });
      expect(result?.sessionId).toBeTruthy();
      expect(result?.sessionId).not.toBe(stale);
      expect(events.filter((e) => e.type === "result")).toHaveLength(1);
      expect(events.some((e) => e.type === "stderr" && e.line.includes("starting a new session"))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it("a per-run cost cap reaches Claude Code as maxBudgetUsd: it stops itself with budget_exceeded (issue 11)", async () => {
    const server = await startMessagesServer();
    try {
      // 100 in / 20 out tokens a turn at Sonnet prices ≈ $0.0006 a turn; the cap is below one turn's cost.
      const runtime = claudeAgentSdkRuntime({ baseUrl: server.urlFor({ turns: 5 }), model: "claude-sonnet-4-5", apiKeyEnv: "SCRIPTED_ANTHROPIC_KEY" });
      const { result } = await collect(runtime, { maxCostUsd: 0.0001, env: { CLAUDE_CODE_MAX_RETRIES: "0" } });
      expect(result).toMatchObject({ status: "error", failureReason: "budget_exceeded" });
      expect(result!.turns).toBeLessThan(5);
      expect(result!.costUsd).toBeGreaterThanOrEqual(0.0001);
    } finally {
      await server.close();
    }
  });

  it("no API key: auth_failed naming the unset variable, and Claude Code's synthetic error message is not a turn", async () => {
    const server = await startMessagesServer();
    try {
      const runtime = claudeAgentSdkRuntime({ baseUrl: server.urlFor({ turns: 1 }), apiKeyEnv: "AGENTCRON_TEST_UNSET_KEY" });
      const { result, events } = await collect(runtime);
      expect(result).toMatchObject({ status: "error", failureReason: "auth_failed", turns: 0 });
      expect(result?.error).toContain("AGENTCRON_TEST_UNSET_KEY");
      expect(events.filter((e) => e.type === "assistant")).toHaveLength(0);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it("builds an explicit env: PATH/HOME kept, other server variables left out, base URL and key from the named variables", () => {
    const source = { PATH: "/bin", HOME: "/home/a", SECRET_DB_PASSWORD: "x", ANTHROPIC_BASE_URL: "http://inherited", ANTHROPIC_API_KEY: "k0", PROXY_URL: "http://proxy", TEAM_KEY: "k1" };
    expect(claudeEnv({}, {}, source)).toMatchObject({ PATH: "/bin", HOME: "/home/a", ANTHROPIC_BASE_URL: "http://inherited", ANTHROPIC_API_KEY: "k0" });
    expect(claudeEnv({}, {}, source)).not.toHaveProperty("SECRET_DB_PASSWORD");
    const named = claudeEnv({ baseUrlEnv: "PROXY_URL", apiKeyEnv: "TEAM_KEY" }, { EXTRA: "1" }, source);
    expect(named).toMatchObject({ ANTHROPIC_BASE_URL: "http://proxy", ANTHROPIC_API_KEY: "k1", EXTRA: "1", CLAUDE_CODE_MAX_RETRIES: "2" });
    expect(claudeEnv({ baseUrl: "http://literal", baseUrlEnv: "PROXY_URL" }, {}, source).ANTHROPIC_BASE_URL).toBe("http://literal");
    expect(claudeEnv({ apiKeyEnv: "UNSET" }, {}, source)).not.toHaveProperty("ANTHROPIC_API_KEY");
  });
});
