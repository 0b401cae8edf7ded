import "server-only";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, RetryError, stepCountIs, streamText } from "ai";
import type { FailureReason } from "../db/constants";
import { agentTools } from "./agent-tools";
import type { OpenAiCompatibleConfig } from "./config";
import { EventChannel } from "./event-channel";
import { redactValues } from "./secrets";
import { abortedResult, classifyErrorText } from "./failure-classes";
import type { AgentEvent, AgentRuntime, RunInput, RunResult } from "./types";

export interface OpenAiCompatibleRuntimeOptions {
  /** SIGTERM → SIGKILL grace for shell-tool processes on abort (ms, ≤ 5000). Default 2000. */
  killGraceMs?: number;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"]);

/**
 * Failure class of an AI SDK error, from the HTTP status or the socket error code;
 * string matching only when neither is there.
 */
export function classifyModelError(err: unknown): FailureReason {
  const e = RetryError.isInstance(err) ? err.lastError : err;
  if (APICallError.isInstance(e) && e.statusCode) {
    const s = e.statusCode;
    if (s === 401 || s === 403) return "auth_failed";
    if (s === 429) return "rate_limited";
    if (s === 402) return "budget_exceeded";
    if (s === 408 || s === 504) return "timeout";
    return "agent_error";
  }
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return "network";
  }
  if (APICallError.isInstance(e)) return "network"; // no HTTP status: the request never got an answer
  return classifyErrorText((e as Error)?.message ?? String(e));
}

/**
 * The `openai-compatible` runtime: any OpenAI chat-completions server (Ollama, vLLM,
 * LM Studio, OpenAI …) through AI SDK 6, as a tool-using agent (read_file,
 * list_directory in `cwd`; run_shell only with `allowShell: true`, ADR 0008). One step (model call) = one agent turn; the
 * loop stops at `stepCountIs(maxTurns)` and a run still asking for tools there ends
 * `max_turns`. The API key comes from the env var named by `apiKeyEnv`.
 * `maxRetries: 0`: the scheduler owns retries (with backoff and attempt counting).
 * Text streams as `text_delta` events ahead of each step's `assistant` event.
 * No sessions: `resumeSessionId` is ignored (the run starts over).
 */
export function openAiCompatibleRuntime(config: OpenAiCompatibleConfig, options: OpenAiCompatibleRuntimeOptions = {}): AgentRuntime {
  return { kind: "openai-compatible", run: (input) => runOpenAi(config, input, options) };
}

async function* runOpenAi(config: OpenAiCompatibleConfig, input: RunInput, options: OpenAiCompatibleRuntimeOptions): AsyncGenerator<AgentEvent> {
  const channel = new EventChannel();
  // The key is read by name from the server's environment (or the run's); apiKeyEnv is
  // validated key-like and never one of Agentcron's own variables (config.ts, ADR 0008).
  const apiKey = config.apiKeyEnv ? (input.env?.[config.apiKeyEnv] ?? process.env[config.apiKeyEnv]) : undefined;
  const provider = createOpenAICompatible({
    name: "openai-compatible",
    baseURL: config.baseUrl,
    apiKey,
    includeUsage: true,
  });
  let turns = 0;
  let lastText: string | null = null;
  let inputTokens = 0;
  let outputTokens = 0;

  const done = (async (): Promise<RunResult> => {
    if (input.signal.aborted) return abortedResult(input.signal);
    try {
      // Streamed so a chat shows tokens as they come (`text_delta`); the AI SDK reports
      // stream failures as parts, not throws, so the first one is rethrown below.
      let streamError: unknown = null;
      const result = streamText({
        model: provider.chatModel(config.model),
        prompt: input.prompt,
        tools: agentTools(input.cwd ?? config.cwd ?? process.cwd(), { killGraceMs: options.killGraceMs ?? 2_000, shell: config.allowShell === true, env: input.env, onProcessGroup: input.onProcessGroup }),
        stopWhen: stepCountIs(input.maxTurns),
        abortSignal: input.signal,
        maxRetries: 0,
        onError: ({ error }) => {
          streamError ??= error;
        },
        onStepFinish: (step) => {
          turns += 1;
          if (step.text) lastText = step.text;
          channel.push({ type: "assistant", text: step.text });
          for (const call of step.toolCalls) channel.push({ type: "tool_call", id: call.toolCallId, name: call.toolName, input: call.input });
          for (const r of step.toolResults) {
            channel.push({ type: "tool_result", id: r.toolCallId, output: typeof r.output === "string" ? r.output : JSON.stringify(r.output) });
          }
          inputTokens += step.usage.inputTokens ?? 0;
          outputTokens += step.usage.outputTokens ?? 0;
          channel.push({ type: "usage", inputTokens: step.usage.inputTokens ?? 0, outputTokens: step.usage.outputTokens ?? 0 });
        },
      });
      for await (const part of result.fullStream) {
        if (part.type === "text-delta" && part.text) channel.push({ type: "text_delta", text: part.text });
        else if (part.type === "error") streamError ??= part.error;
      }
      if (streamError) throw streamError;
      if (input.signal.aborted) throw new Error("aborted");
      const [text, finishReason] = await Promise.all([result.text, result.finishReason]);
      const base = { turns, inputTokens, outputTokens, costUsd: null, sessionId: null, text: text || lastText };
      // The budget ran out while the model still wanted tools: it did not finish.
      if (finishReason === "tool-calls" && turns >= input.maxTurns) {
        return { ...base, status: "max_turns", error: `Stopped at the turn budget of ${input.maxTurns} agent turns` };
      }
      return { ...base, status: "success" };
    } catch (err) {
      const base = { turns, inputTokens, outputTokens, sessionId: null, text: lastText };
      if (input.signal.aborted) return abortedResult(input.signal, base);
      const reason = classifyModelError(err);
      const status = APICallError.isInstance(err) ? err.statusCode : undefined;
      // A server may echo the key it refused ("Incorrect API key provided: …"): never store it.
      const message = redactValues((err as Error)?.message ?? String(err), apiKey ? [apiKey] : []);
      return { ...base, status: "error", error: `${config.baseUrl}: ${status ? `HTTP ${status}: ` : ""}${message}`, failureReason: reason };
    }
  })();
  void done.then((result) => {
    channel.push({ type: "result", result });
    channel.close();
  });
  yield* channel.drain();
}
