/**
 * A scripted AgentRuntime for scheduler tests: each run's turns, outcome, duration
 * (held until the test releases it) and abort behaviour come from a script the test
 * sets. Runs are recorded so tests can release, inspect and await them.
 */
import type { FailureReason } from "@/lib/db/constants";
import type { ResolvedRuntime } from "@/lib/runtimes/registry";
import type { AgentEvent, AgentRuntime, RunInput } from "@/lib/runtimes/types";
import type { RuntimeResolver } from "@/lib/scheduler/task-launcher";

export interface TestRunScript {
  /** Assistant messages (agent turns) emitted. Default 1. */
  turns?: number;
  /** How the run ends. Default success. */
  outcome?: "success" | "max_turns" | "error";
  error?: string;
  failureReason?: FailureReason;
  sessionId?: string;
  /** Wait for `release()` (or an abort) before the result: the run's duration is the test's to decide. */
  hold?: boolean;
  /** Keep running after an abort until released (a runtime that ignores its signal). */
  ignoreAbort?: boolean;
  /** Called when the run starts (e.g. to move a fake clock). */
  onStart?: () => void;
}

export class TestRun {
  readonly input: RunInput;
  readonly script: TestRunScript;
  abortedWith: unknown = undefined;
  /** True once a held run waits for release (its events are out). */
  holding = false;
  finished = false;
  private releaseFn!: () => void;
  readonly released: Promise<void>;

  constructor(input: RunInput, script: TestRunScript) {
    this.input = input;
    this.script = script;
    this.released = new Promise<void>((resolve) => (this.releaseFn = resolve));
  }

  /** Lets a held run finish with its scripted outcome. */
  release(): void {
    this.releaseFn();
  }
}

export class TestRuntime implements AgentRuntime {
  readonly kind = "test";
  readonly runs: TestRun[] = [];
  private script: (input: RunInput, index: number) => TestRunScript;

  constructor(script: TestRunScript | ((input: RunInput, index: number) => TestRunScript) = {}) {
    this.script = typeof script === "function" ? script : () => script;
  }

  /** Replaces the script for the next runs. */
  setScript(script: TestRunScript | ((input: RunInput, index: number) => TestRunScript)): void {
    this.script = typeof script === "function" ? script : () => script;
  }

  /** The run whose prompt is `prompt` (latest first). */
  runFor(prompt: string): TestRun | undefined {
    return [...this.runs].reverse().find((r) => r.input.prompt === prompt);
  }

  async *run(input: RunInput): AsyncIterable<AgentEvent> {
    const script = this.script(input, this.runs.length);
    const run = new TestRun(input, script);
    this.runs.push(run);
    script.onStart?.();
    const sessionId = script.sessionId ?? input.resumeSessionId ?? `session-${this.runs.length}`;
    yield { type: "session", sessionId };
    const turns = Math.min(script.turns ?? 1, script.outcome === "max_turns" ? input.maxTurns : Number.MAX_SAFE_INTEGER);
    for (let i = 1; i <= turns; i++) yield { type: "assistant", text: `turn ${i}` };
    yield { type: "usage", inputTokens: 10 * turns, outputTokens: 5 * turns, costUsd: 0.001 * turns };
    if (script.hold) {
      run.holding = true;
      await new Promise<void>((resolve) => {
        void run.released.then(resolve);
        const onAbort = () => {
          run.abortedWith = input.signal.reason;
          if (!script.ignoreAbort) resolve();
        };
        if (input.signal.aborted) onAbort();
        else input.signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    run.finished = true;
    if (input.signal.aborted && !script.ignoreAbort) {
      yield { type: "result", result: { status: "error", turns, sessionId, error: "aborted", failureReason: "aborted" } };
      return;
    }
    const outcome = script.outcome ?? "success";
    yield {
      type: "result",
      result: {
        status: outcome,
        turns,
        sessionId,
        inputTokens: 10 * turns,
        outputTokens: 5 * turns,
        costUsd: 0.001 * turns,
        text: outcome === "success" ? `done: ${input.prompt}` : null,
        error: outcome === "error" ? (script.error ?? "the agent failed") : null,
        failureReason: outcome === "error" ? (script.failureReason ?? null) : null,
      },
    };
  }
}

/** A resolver that hands every task the given runtime (row is a stand-in). */
export function testResolver(runtime: AgentRuntime): RuntimeResolver {
  return async (_db, runtimeId): Promise<ResolvedRuntime> => ({
    row: { id: runtimeId ?? "test-runtime", name: "test", kind: "command", config: {}, isDefault: true, createdAt: 0, updatedAt: 0 },
    runtime,
  });
}

/** Awaits a condition (polled every 5 ms); throws with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
