import "server-only";
import readline from "node:readline";
import { ClaudeStreamParser } from "./claude-stream-json";
import { CodexJsonParser } from "./codex-json";
import {
  MAX_TURNS_PLACEHOLDER,
  PROMPT_PLACEHOLDER,
  SESSION_PLACEHOLDER,
  type CommandConfig,
  type CommandOutputFormat,
} from "./config";
import { agentEnv } from "./agent-env";
import { EventChannel } from "./event-channel";
import { abortedResult } from "./failure-classes";
import { killGroupLeftovers, killProcessTree, trackProcessGroup } from "./process-tree";
import { spawnAgent, SpawnerDiedError } from "./spawner/client";
import type { AgentEvent, AgentRuntime, RunInput, RunResult } from "./types";

/** Lines of stderr kept for a `process_failure` message. */
const STDERR_TAIL_LINES = 20;
/** Text-format output kept as the result (chars): the tail, where a CLI puts its answer. */
const TEXT_RESULT_MAX = 100_000;

export interface CommandRuntimeOptions {
  /** SIGTERM → SIGKILL grace on abort (ms, ≤ 5000). Default 2000. */
  killGraceMs?: number;
}

interface StreamParser {
  push(msg: Record<string, unknown>): AgentEvent[];
  flush(): AgentEvent[];
  readonly turnsStarted: number;
  readonly turns: number;
  readonly result: RunResult | null;
  sessionId: string | null;
}

/** The argv of one run: placeholders replaced, the resume form when resuming. */
export function buildArgv(config: CommandConfig, input: Pick<RunInput, "prompt" | "maxTurns" | "resumeSessionId">): string[] {
  let argv = config.command;
  if (input.resumeSessionId) {
    if (config.resumeCommand) argv = config.resumeCommand;
    else if (config.outputFormat === "claude-stream-json") argv = [...config.command, "--resume", SESSION_PLACEHOLDER];
  }
  return argv.map((arg) => {
    let out = arg.replaceAll(MAX_TURNS_PLACEHOLDER, String(input.maxTurns));
    if (input.resumeSessionId) out = out.replaceAll(SESSION_PLACEHOLDER, input.resumeSessionId);
    if (config.promptVia === "arg") out = out.replaceAll(PROMPT_PLACEHOLDER, input.prompt);
    return out;
  });
}

function parserFor(format: CommandOutputFormat): StreamParser | null {
  if (format === "claude-stream-json") return new ClaudeStreamParser();
  if (format === "codex-json") return new CodexJsonParser();
  return null;
}

/**
 * The `command` runtime: spawns an agent CLI (argv, no shell) in its own process group,
 * feeds it the prompt on stdin or as an argument, and parses its stdout as Claude Code
 * stream-json, Codex JSONL or plain text (one turn). It counts agent turns itself and
 * kills the process tree when a turn beyond `maxTurns` starts (→ `max_turns`), because
 * Codex and plain commands cannot stop themselves (Claude Code can: put `{maxTurns}`
 * after `--max-turns` in the argv).
 *
 * Failures: missing executable → `runtime_missing_executable` (message names the
 * path); non-zero exit without a result → `process_failure` with the last stderr lines;
 * abort → SIGTERM to the tree, SIGKILL after the grace period, `aborted` (or the abort
 * reason when it is a failure class).
 */
export function commandRuntime(config: CommandConfig, options: CommandRuntimeOptions = {}): AgentRuntime {
  return {
    kind: "command",
    run: (input) => runCommand(config, input, options),
  };
}

async function* runCommand(config: CommandConfig, input: RunInput, options: CommandRuntimeOptions): AsyncGenerator<AgentEvent> {
  const channel = new EventChannel();
  const parser = parserFor(config.outputFormat);
  const stderrTail: string[] = [];
  const textLines: string[] = [];
  let textChars = 0;
  let stopReason: "abort" | "max_turns" | null = null;
  let killing: Promise<unknown> | null = null;
  const argv = buildArgv(config, input);
  const executable = argv[0];

  const finish = (result: RunResult) => {
    channel.push({ type: "result", result });
    channel.close();
  };

  if (input.signal.aborted) {
    yield { type: "result", result: abortedResult(input.signal) };
    return;
  }

  // Started through a spawner process (ADR 0028): the fork copies a small process, not the
  // server, and several starts don't queue behind this thread.
  const spawned = await spawnAgent({
    file: executable,
    args: argv.slice(1),
    cwd: input.cwd ?? config.cwd,
    // An allow-list, not the server's environment (ADR 0008): the base variables, the
    // config's (`${NAME}` read from the server's environment now), then the run's own.
    env: agentEnv({ config: config.env, run: input.env }),
    stdin: config.promptVia === "stdin" ? input.prompt : null,
  });
  if (!spawned.ok) {
    const { code, message, spawnerDied } = spawned.error;
    const missing = code === "ENOENT" || code === "EACCES" || code === "ENOTDIR";
    yield {
      type: "result",
      result: spawnerDied
        ? { status: "error", turns: 0, error: message, failureReason: "agent_error" }
        : {
            status: "error",
            turns: 0,
            error: missing ? `Executable not found or not executable: ${executable} (${code})` : `Could not start ${executable}: ${message}`,
            failureReason: missing ? "runtime_missing_executable" : "process_failure",
          },
    };
    return;
  }
  const child = spawned.child;
  const group = trackProcessGroup(child, input.onProcessGroup);
  let lost = false;

  const kill = () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      killing ??= killProcessTree(child.pid, options.killGraceMs ?? 2_000);
    }
  };
  const onAbort = () => {
    stopReason ??= "abort";
    kill();
  };
  input.signal.addEventListener("abort", onAbort, { once: true });
  // Aborted while the spawner started it: the listener above came too late for that.
  if (input.signal.aborted) onAbort();

  readline.createInterface({ input: child.stderr! }).on("line", (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    channel.push({ type: "stderr", line });
  });

  const stdoutDone = new Promise<void>((resolve) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      if (stopReason) return;
      if (!parser) {
        textLines.push(line);
        textChars += line.length + 1;
        while (textChars > TEXT_RESULT_MAX && textLines.length > 1) textChars -= textLines.shift()!.length + 1;
        return;
      }
      if (!line.trim()) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        channel.push({ type: "stderr", line: `stdout: ${line}` });
        return;
      }
      if (!msg || typeof msg !== "object") return;
      const events = parser.push(msg);
      // A turn beyond the budget has begun: stop here, before it can act.
      if (parser.turnsStarted > input.maxTurns) {
        stopReason = "max_turns";
        // Codex reports a turn as it starts (its events are beyond the budget: drop them);
        // Claude Code's turn is still pending, and what `push` returned is the turn a
        // back-to-back assistant message just completed — within the budget: keep it.
        const beyond = parser.turns > input.maxTurns;
        channel.push(...(beyond ? events.filter((e) => e.type !== "assistant" && e.type !== "tool_call") : events));
        kill();
        return;
      }
      channel.push(...events);
    });
    rl.on("close", resolve);
  });

  child.on("error", (err: Error) => {
    // The agent was lost without an exit status: its spawner died (its group was killed).
    // Like a dead executor host (ADR 0022): the run fails agent_error.
    if (!(err instanceof SpawnerDiedError) || lost) return;
    lost = true;
    input.signal.removeEventListener("abort", onAbort);
    finish({ status: "error", turns: parser ? parser.turns : 0, sessionId: parser?.sessionId ?? null, error: err.message, failureReason: "agent_error" });
  });

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- nothing in the handler throws; it only waits for the kill to finish
  child.on("close", async (code, sig) => {
    if (lost) return;
    input.signal.removeEventListener("abort", onAbort);
    await stdoutDone;
    if (killing) await killing;
    // The agent is gone; anything it left behind in its process group goes with it.
    else killGroupLeftovers(group, child.pid);
    if (parser && !stopReason) channel.push(...parser.flush());
    const turns = parser ? parser.turns : textLines.length ? 1 : 0;
    const sessionId = parser?.sessionId ?? null;
    const tail = stderrTail.slice(-5).join("\n");
    if (stopReason === "abort") {
      finish(abortedResult(input.signal, { turns, sessionId }));
      return;
    }
    if (stopReason === "max_turns") {
      const partial = parser?.result;
      finish({
        status: "max_turns",
        turns: input.maxTurns,
        sessionId,
        inputTokens: partial?.inputTokens ?? null,
        outputTokens: partial?.outputTokens ?? null,
        costUsd: partial?.costUsd ?? null,
        error: `Stopped at the turn budget: a turn beyond ${input.maxTurns} began`,
      });
      return;
    }
    if (!parser) {
      const text = textLines.join("\n").trim();
      if (textLines.length) channel.push({ type: "assistant", text });
      if (code === 0) finish({ status: "success", turns, text });
      else finish(processFailure(executable, code, sig, tail, turns, null));
      return;
    }
    const result = parser.result;
    if (result && (result.status !== "success" || code === 0)) {
      finish(result);
      return;
    }
    if (code === 0) {
      finish({ status: "error", turns, sessionId, error: `${executable} exited without a result message`, failureReason: "agent_error" });
      return;
    }
    finish(processFailure(executable, code, sig, tail, turns, sessionId));
  });

  yield* channel.drain();
}

function processFailure(
  executable: string,
  code: number | null,
  sig: NodeJS.Signals | null,
  stderrTail: string,
  turns: number,
  sessionId: string | null,
): RunResult {
  const how = code !== null ? `exited with code ${code}` : `was killed by ${sig}`;
  return {
    status: "error",
    turns,
    sessionId,
    error: `${executable} ${how}${stderrTail ? `:\n${stderrTail}` : " (no stderr output)"}`,
    failureReason: "process_failure",
  };
}
