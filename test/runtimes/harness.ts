/**
 * Contract-suite plumbing: each runtime kind under test provides a Harness that builds
 * a real runtime (real child processes, real HTTP to a scripted fixture server) for a
 * scenario. The suite itself (contract.test.ts) is the same for every kind.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { descendantPids, isAlive } from "@/lib/runtimes/process-tree";
import type { AgentEvent, AgentRuntime, RunInput, RunResult } from "@/lib/runtimes/types";

export const FIXTURES = path.resolve(__dirname, "../fixtures");

export interface Scenario {
  /** Agent turns the scripted model/agent wants (turns-1 tool turns + a final answer). */
  turns: number;
  /** Delay before each turn (ms). */
  delayMs?: number;
  /** After the first turn, start long-running `sleep` processes and hang. */
  hangWithProcesses?: boolean;
  /** The model API answers the first request with this HTTP status (401, 429). */
  httpStatus?: 401 | 429;
  /** Point the runtime at a base URL where nothing listens. */
  badBaseUrl?: boolean;
}

export interface Harness {
  name: string;
  /** Whether the kind resumes sessions (openai-compatible has none). */
  resumes: boolean;
  /** Whether the kind reports a cost in USD. */
  reportsCost: boolean;
  /** Whether the kind has a model base URL to get wrong. */
  hasBaseUrl: boolean;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  runtime(scenario: Scenario): AgentRuntime;
  /** Text the final answer contains when resuming `sessionId`, if the kind shows it. */
  resumedMarker?(sessionId: string): string;
}

/** Runs to the end and returns every event plus the result. */
export async function collect(runtime: AgentRuntime, input: Partial<RunInput> & { signal?: AbortSignal } = {}) {
  const events: AgentEvent[] = [];
  for await (const e of runtime.run({ prompt: "hello", maxTurns: 10, signal: new AbortController().signal, ...input })) events.push(e);
  const results = events.filter((e) => e.type === "result");
  return { events, results, result: (results.at(-1) as { result: RunResult } | undefined)?.result };
}

/** Commands the hanging scenarios leave running: `sleep` (CLI fixture), `tail -f` (model tool calls). */
const HELD_COMMANDS = new Set(["sleep", "tail"]);
/** A shell-tool command that holds two processes until killed (Claude Code refuses a bare `sleep`). */
export const HOLDING_COMMAND = "(tail -f /dev/null & tail -f /dev/null)";

/** Held (`sleep`/`tail`) processes among this test process's descendants. */
export async function heldDescendants(): Promise<number[]> {
  const pids = await descendantPids(process.pid);
  if (!pids.length) return [];
  // ps exits 1 when some pid is gone already (pidtree's own `ps` is one of them).
  const out = spawnSync("ps", ["-o", "pid=,comm=", "-p", pids.join(",")], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => HELD_COMMANDS.has(comm))
    .map(([pid]) => Number(pid));
}

/** Live (non-zombie) pids among `pids`. */
export function alive(pids: number[]): number[] {
  return pids.filter(isAlive);
}

/** Polls `check` every 50 ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T> | T, timeoutMs = 20_000, what = "condition"): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
