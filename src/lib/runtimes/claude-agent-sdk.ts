import "server-only";
import { spawn, type ChildProcess } from "node:child_process";
import readline from "node:readline";
import { query, type Options, type SpawnedProcess, type SpawnOptions } from "@anthropic-ai/claude-agent-sdk";
import type { FailureReason } from "../db/constants";
import { agentEnv } from "./agent-env";
import { ClaudeStreamParser } from "./claude-stream-json";
import type { ClaudeAgentSdkConfig } from "./config";
import { EventChannel } from "./event-channel";
import { abortedResult, classifyErrorText } from "./failure-classes";
import { descendantPids, isAlive, killGroupLeftovers, killProcessTree, trackProcessGroup } from "./process-tree";
import type { OwnedProcessGroup } from "./process-table";
import type { AgentEvent, AgentRuntime, RunInput, RunResult } from "./types";

/** Tools a scheduled Claude Code run may use without asking (permissionMode dontAsk denies the rest). */
export const DEFAULT_ALLOWED_TOOLS = ["Read", "Glob", "Grep", "LS", "Bash", "Edit", "Write"];

export interface ClaudeAgentSdkRuntimeOptions {
  /** SIGTERM → SIGKILL grace on abort (ms, ≤ 5000). Default 2000. */
  killGraceMs?: number;
}

/**
 * The explicit environment of one Claude Code process (agentEnv, ADR 0008): the base
 * variables (PATH, HOME, LANG, TERM, TMPDIR, USER), the config's `env`, then
 * ANTHROPIC_BASE_URL from `baseUrl`, the variable named by `baseUrlEnv`, or the server's
 * own ANTHROPIC_BASE_URL; ANTHROPIC_API_KEY from the variable named by `apiKeyEnv`
 * (default ANTHROPIC_API_KEY). Non-essential traffic (telemetry, update checks) is off
 * so a run talks only to the model API. `CLAUDE_CODE_MAX_RETRIES` defaults to 2: the
 * scheduler owns retries with backoff. `extra` (the run's env) wins over everything.
 */
export function claudeEnv(config: ClaudeAgentSdkConfig, extra: Record<string, string> = {}, source: Record<string, string | undefined> = process.env): Record<string, string> {
  return agentEnv(
    {
      config: config.env,
      computed: {
        ANTHROPIC_BASE_URL: config.baseUrl ?? (config.baseUrlEnv ? source[config.baseUrlEnv] : source.ANTHROPIC_BASE_URL) ?? undefined,
        ANTHROPIC_API_KEY: source[config.apiKeyEnv ?? "ANTHROPIC_API_KEY"] || undefined,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        CLAUDE_CODE_MAX_RETRIES: source.CLAUDE_CODE_MAX_RETRIES ?? "2",
      },
      run: extra,
    },
    source,
  );
}

/**
 * The `claude-agent-sdk` runtime: Claude Code through `query()` of
 * @anthropic-ai/claude-agent-sdk, with the turn budget (`maxTurns`), resume,
 * `permissionMode` (default `dontAsk` + allowedTools: nobody is there to answer a
 * permission prompt, and `bypassPermissions` is refused when running as root),
 * `settingSources: []` (no user/project settings leak into scheduled runs) and an
 * explicit env (see claudeEnv).
 *
 * The SDK's own abort only reaches its direct child, so the process is spawned here
 * (`spawnClaudeCodeProcess`, detached) and an abort collects every descendant first,
 * then SIGTERMs the tree and SIGKILLs what is left after the grace period.
 * The `result` message is kept even when the iterator throws after it.
 */
export function claudeAgentSdkRuntime(config: ClaudeAgentSdkConfig, options: ClaudeAgentSdkRuntimeOptions = {}): AgentRuntime {
  return { kind: "claude-agent-sdk", run: (input) => runWithResumeFallback(config, input, options) };
}

const MISSING_SESSION = /No conversation found with session ID/i;

/**
 * A retry resumes the failed attempt's session; when Claude Code no longer has it
 * (transcripts live in the server user's ~/.claude, per cwd) the run starts a new
 * session instead of failing every retry with the same error.
 */
async function* runWithResumeFallback(config: ClaudeAgentSdkConfig, input: RunInput, options: ClaudeAgentSdkRuntimeOptions): AsyncGenerator<AgentEvent> {
  for await (const event of runClaude(config, input, options)) {
    if (event.type === "result" && input.resumeSessionId && event.result.turns === 0 && MISSING_SESSION.test(event.result.error ?? "") && !input.signal.aborted) {
      yield { type: "stderr", line: `Session ${input.resumeSessionId} is not available to resume; starting a new session.` };
      yield* runClaude(config, { ...input, resumeSessionId: null }, options);
      return;
    }
    yield event;
  }
}

async function* runClaude(config: ClaudeAgentSdkConfig, input: RunInput, options: ClaudeAgentSdkRuntimeOptions): AsyncGenerator<AgentEvent> {
  if (input.signal.aborted) {
    yield { type: "result", result: abortedResult(input.signal) };
    return;
  }
  const channel = new EventChannel();
  const parser = new ClaudeStreamParser();
  const sdkAbort = new AbortController();
  const stderrTail: string[] = [];
  let child: ChildProcess | null = null;
  let group: OwnedProcessGroup | null = null;
  let killing: Promise<unknown> | null = null;

  const spawnClaude = (opts: SpawnOptions): SpawnedProcess => {
    child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
      // Own process group, so the tree (Bash tool children …) can be signalled as one.
      detached: true,
    });
    group = trackProcessGroup(child, input.onProcessGroup);
    readline.createInterface({ input: child.stderr! }).on("line", (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      channel.push({ type: "stderr", line });
    });
    // stdio is all "pipe", so stdin/stdout exist.
    return child as unknown as SpawnedProcess;
  };

  const onAbort = () => {
    const pid = child?.pid;
    killing ??= (async () => {
      // Collect the tree before the SDK's graceful close lets the CLI exit and orphan it.
      const collected = pid ? await descendantPids(pid) : [];
      sdkAbort.abort();
      if (pid && isAlive(pid)) await killProcessTree(pid, options.killGraceMs ?? 2_000, collected);
      else if (pid) await killProcessTree(pid, 0, collected);
    })();
  };
  input.signal.addEventListener("abort", onAbort, { once: true });

  const sdkOptions: Options = {
    abortController: sdkAbort,
    maxTurns: input.maxTurns,
    // The per-run cost cap (issue 11): Claude Code stops itself with error_max_budget_usd → budget_exceeded.
    maxBudgetUsd: input.maxCostUsd ?? undefined,
    cwd: input.cwd ?? config.cwd,
    model: config.model,
    resume: input.resumeSessionId ?? undefined,
    permissionMode: config.permissionMode ?? "dontAsk",
    allowedTools: config.allowedTools ?? DEFAULT_ALLOWED_TOOLS,
    settingSources: [],
    env: claudeEnv(config, input.env),
    pathToClaudeCodeExecutable: config.executable,
    spawnClaudeCodeProcess: spawnClaude,
  };

  let thrown: unknown = null;
  const finalResult = (): RunResult => {
    const result = parser.result;
    if (input.signal.aborted && result?.status !== "success") {
      return abortedResult(input.signal, { turns: parser.turns, sessionId: parser.sessionId });
    }
    if (result?.failureReason === "auth_failed") {
      const keyEnv = config.apiKeyEnv ?? "ANTHROPIC_API_KEY";
      if (!input.env?.ANTHROPIC_API_KEY && !process.env[keyEnv]) {
        return { ...result, error: `${result.error ?? "Authentication failed"} (the runtime's API key variable ${keyEnv} is not set in the server's environment)` };
      }
    }
    if (result) return result;
    const message = thrown ? ((thrown as Error).message ?? String(thrown)) : "Claude Code ended without a result";
    const tail = stderrTail.slice(-5).join("\n");
    const error = tail ? `${message}\n${tail}` : message;
    const failureReason: FailureReason = /not found|ENOENT|EACCES/i.test(message) && /executable|claude/i.test(message) ? "runtime_missing_executable" : classifyErrorText(error);
    return { status: "error", turns: parser.turns, sessionId: parser.sessionId, error, failureReason };
  };

  const consume = (async () => {
    try {
      for await (const msg of query({ prompt: input.prompt, options: sdkOptions })) {
        channel.push(...parser.push(msg as unknown as Record<string, unknown>));
      }
    } catch (err) {
      thrown = err;
    } finally {
      channel.push(...parser.flush());
      input.signal.removeEventListener("abort", onAbort);
      // eslint-disable-next-line @typescript-eslint/await-thenable -- assigned in onAbort; TS narrows it to null here
      if (killing) await killing;
      // Claude Code is done; leftovers in its process group (background shells) go too.
      killGroupLeftovers(group, (child as ChildProcess | null)?.pid);
      channel.push({ type: "result", result: finalResult() });
      channel.close();
    }
  })();

  let ended = false;
  try {
    for await (const event of channel.drain()) {
      if (event.type === "result") ended = true;
      yield event;
    }
  } finally {
    // A consumer that stops early must not leave Claude Code running.
    if (!ended) onAbort();
    await consume;
  }
}
