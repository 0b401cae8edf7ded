import { openAiCompatibleRuntime } from "@/lib/runtimes/openai-compatible";
import { startOpenAiServer } from "../fixtures/openai-server.mjs";
import type { ScriptedServer } from "../fixtures/messages-server.mjs";
import { HOLDING_COMMAND, type Harness, type Scenario } from "./harness";
import { DEAD_BASE_URL } from "./harness-claude";

/** AI SDK 6 + @ai-sdk/openai-compatible against the scripted chat-completions server. */
export function openAiHarness(): Harness {
  let server: ScriptedServer;
  return {
    name: "openai-compatible (AI SDK)",
    resumes: false,
    reportsCost: false,
    hasBaseUrl: true,
    async setup() {
      server = await startOpenAiServer();
    },
    async teardown() {
      await server?.close();
    },
    runtime(s: Scenario) {
      const baseUrl = s.badBaseUrl
        ? `${DEAD_BASE_URL}/v1`
        : `${server.urlFor({ turns: s.turns, delayMs: s.delayMs, status: s.httpStatus, hangTool: s.hangWithProcesses ? HOLDING_COMMAND : undefined })}/v1`;
      return openAiCompatibleRuntime({ baseUrl, model: "scripted", apiKeyEnv: "SCRIPTED_OPENAI_KEY", allowShell: true }, { killGraceMs: 500 });
    },
  };
}
