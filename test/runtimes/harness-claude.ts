import { claudeAgentSdkRuntime } from "@/lib/runtimes/claude-agent-sdk";
import { startMessagesServer, type ScriptedServer } from "../fixtures/messages-server.mjs";
import { HOLDING_COMMAND, type Harness, type Scenario } from "./harness";

/** Where nothing listens (the discard port): connection refused. */
export const DEAD_BASE_URL = "http://127.0.0.1:9";

/** The real Claude Code binary through the Agent SDK, against the scripted Messages server. */
export function claudeHarness(): Harness {
  let server: ScriptedServer;
  let savedRetries: string | undefined;
  return {
    name: "claude-agent-sdk (real Claude Code)",
    resumes: true,
    reportsCost: true,
    hasBaseUrl: true,
    async setup() {
      server = await startMessagesServer();
      // Claude Code's own retries would only slow the 429/network cases down.
      savedRetries = process.env.CLAUDE_CODE_MAX_RETRIES;
      process.env.CLAUDE_CODE_MAX_RETRIES = "0";
    },
    async teardown() {
      if (savedRetries === undefined) delete process.env.CLAUDE_CODE_MAX_RETRIES;
      else process.env.CLAUDE_CODE_MAX_RETRIES = savedRetries;
      await server?.close();
    },
    runtime(s: Scenario) {
      const baseUrl = s.badBaseUrl
        ? DEAD_BASE_URL
        : server.urlFor({ turns: s.turns, delayMs: s.delayMs, status: s.httpStatus, hangTool: s.hangWithProcesses ? HOLDING_COMMAND : undefined });
      return claudeAgentSdkRuntime({ baseUrl, model: "claude-sonnet-4-5", apiKeyEnv: "SCRIPTED_ANTHROPIC_KEY" }, { killGraceMs: 500 });
    },
    resumedMarker: () => "earlier messages",
  };
}
