/**
 * An in-process AgentRuntime that plays a script, for chat engine and route tests.
 * Steps are AgentEvents to yield, or controls: wait for a Gate (opened by the test,
 * or by the run's abort), throw, or end without a `result`. Like a real runtime it
 * ends with a `result` (status error, failureReason aborted) when its signal aborts,
 * unless `ignoreAbort` is set.
 */
import type { AgentEvent, AgentRuntime, RunInput } from "@/lib/runtimes/types";

/** A promise the test opens by hand. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export type ScriptStep = AgentEvent | { gate: Gate } | { throw: string };

export interface ScriptedRuntimeOptions {
  /** Keep playing after an abort (a misbehaving runtime). */
  ignoreAbort?: boolean;
}

export class ScriptedRuntime implements AgentRuntime {
  readonly kind = "scripted";
  /** Every RunInput received, in order. */
  readonly inputs: RunInput[] = [];
  /** Resolves with the RunInput when a run starts. */
  started: Gate & { input?: RunInput } = gate();

  constructor(
    private readonly script: ScriptStep[] | ((input: RunInput, call: number) => ScriptStep[]),
    private readonly opts: ScriptedRuntimeOptions = {},
  ) {}

  async *run(input: RunInput): AsyncIterable<AgentEvent> {
    this.inputs.push(input);
    this.started.input = input;
    this.started.open();
    const steps = typeof this.script === "function" ? this.script(input, this.inputs.length) : this.script;
    let turns = 0;
    const aborted = (): AgentEvent => ({
      type: "result",
      result: { status: "error", turns, error: "Aborted", failureReason: "aborted" },
    });
    for (const step of steps) {
      if (input.signal.aborted && !this.opts.ignoreAbort) {
        yield aborted();
        return;
      }
      if ("gate" in step) {
        await waitOrAbort(step.gate.promise, this.opts.ignoreAbort ? undefined : input.signal);
        continue;
      }
      if ("throw" in step) throw new Error(step.throw);
      if (step.type === "assistant") turns += 1;
      yield step;
    }
    if (input.signal.aborted && !this.opts.ignoreAbort) yield aborted();
  }
}

function waitOrAbort(p: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p.then(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    p.then(done, done);
  });
}

/** A successful result event. */
export function success(turns: number, extra: Partial<Extract<AgentEvent, { type: "result" }>["result"]> = {}): AgentEvent {
  return { type: "result", result: { status: "success", turns, ...extra } };
}
