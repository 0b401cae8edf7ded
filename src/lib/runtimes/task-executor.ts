import "server-only";
import type { TerminalWrite } from "../db/queries/task-runs";
import { EventEmitter } from "node:events";
import type { Db } from "../db/client";
import { insertTaskEventsAndProgress } from "../db/queries/task-runs";
import { processSingleton } from "../process-singleton";
import { systemClock, type Clock } from "../time/clock";
import { abortFailureReason, classifyErrorText } from "./failure-classes";
import { agentProcessOwner } from "./process-ownership";
import type { AgentEvent, AgentRuntime, RunInput, RunResult } from "./types";
import { withTransaction } from "../db/client";
import { RunBudgetMeter, type RunBudget } from "../budgets/run-budget";

/** Abort reasons the executor understands (`controller.abort(reason)`). */
export type TaskAbortReason = "cancelled" | "lease_expired" | "timeout" | "runtime_recovery" | "shutdown";

/** How a task's run ended, ready for the scheduler's guarded terminal write (the write's fields less its guard). */
export type TaskOutcome = Omit<TerminalWrite, "taskId" | "guardRunnerId" | "now">;

/** The run's own input (prompt, turn budget, cwd, resume, env, signal) plus where to persist it. */
export interface ExecuteTaskInput extends RunInput {
  db: Db;
  taskId: string;
  runtime: AgentRuntime;
  clock?: Clock;
  /** Flush buffered events at least this often (ms). Default 100. */
  flushIntervalMs?: number;
  /** Flush as soon as this many events are buffered. Default 200. */
  flushMaxEvents?: number;
  /** The run's cost cap and price (budgets/run-budget.ts); without it the cost is only what the runtime reports. */
  budget?: RunBudget;
  /**
   * Where the live view hears about persisted events. Default: this thread's taskEventBus().
   * The executor host (executor-host.ts) forwards them to the main thread's bus instead.
   */
  publish?: TaskEventPublisher;
}

/** A batch of events as the executor persisted them (what the live view streams). */
export interface PersistedEventBatchItem {
  type: string;
  payload: Record<string, unknown>;
  /** UTC ms. */
  createdAt: number;
}

/** Receives each persisted batch of a run's events, then the run's end. */
export interface TaskEventPublisher {
  events(taskId: string, rows: PersistedEventBatchItem[]): void;
  end(taskId: string): void;
}

/** Publishes on this thread's taskEventBus (`task:<id>` with the rows, `end:<id>`). */
export function busPublisher(): TaskEventPublisher {
  const bus = taskEventBus();
  return {
    events: (taskId, rows) => bus.emit(`task:${taskId}`, rows),
    end: (taskId) => bus.emit(`end:${taskId}`),
  };
}

/** Live task events for SSE: emits `task:<id>` with the rows of each flush, `end:<id>` at the end. */
export function taskEventBus(): EventEmitter {
  return processSingleton("task-event-bus", () => {
    const bus = new EventEmitter();
    bus.setMaxListeners(0);
    return bus;
  });
}

/**
 * Runs one task through a runtime: persists its events to `task_events` in batches
 * (one transaction per `flushIntervalMs` or `flushMaxEvents`, never per token),
 * keeps `tasks.turnCount`/`sessionId`/tokens/cost live while the task is running, and maps the
 * runtime's result to a TaskOutcome. The process groups the run spawns are recorded on
 * the task row while they may live, and whatever of them is left when the run ends is
 * killed (process-ownership.ts). It never writes the terminal state: the caller
 * does that with its `status='running' AND runnerId=me` guard (invariant 5).
 * Never throws; a runtime that throws or ends without a result is a failed outcome.
 */
export async function executeTask(input: ExecuteTaskInput): Promise<TaskOutcome> {
  const clock = input.clock ?? systemClock;
  const flushIntervalMs = input.flushIntervalMs ?? 100;
  const flushMaxEvents = input.flushMaxEvents ?? 200;
  const publish = input.publish ?? busPublisher();

  let buffer: PersistedEventBatchItem[] = [];
  let turns = 0;
  let sessionId: string | null = input.resumeSessionId ?? null;
  let lastText: string | null = null;
  let usage = { inputTokens: 0, outputTokens: 0, costUsd: 0, seen: false };
  // Spend: the runtime's reported cost, else tokens × the model's price (null = unknown, never $0).
  const meter = new RunBudgetMeter(input.budget);
  // The runtime sees this signal: the caller's aborts pass through, and the meter aborts it
  // with "budget_exceeded" when the streamed spend reaches the cap (the runtimes then kill
  // the process tree like any abort, and the outcome is failed/budget_exceeded).
  const runAbort = new AbortController();
  const passAbort = () => runAbort.abort(input.signal.reason);
  if (input.signal.aborted) passAbort();
  else input.signal.addEventListener("abort", passAbort, { once: true });
  let result: RunResult | null = null;
  let thrown: unknown = null;
  let dirtyProgress = false;

  // Usage streamed so far, kept on the row while the task runs: a task reaped, recovered
  // or force-cancelled before its result keeps the tokens and cost it already spent.
  const usageSoFar = () =>
    usage.seen ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costUsd: meter.costUsd(usage) } : {};
  const flush = async () => {
    if (!buffer.length && !dirtyProgress) return;
    const rows = buffer;
    buffer = [];
    dirtyProgress = false;
    const progress = { turnCount: turns, sessionId, heartbeatAt: clock.now(), ...usageSoFar() };
    await withTransaction(input.db, (tx) => insertTaskEventsAndProgress(tx, input.taskId, rows, progress));
    if (rows.length) publish.events(input.taskId, rows);
  };
  const timer = setInterval(() => {
    flush().catch((err) => console.error(`[agentcron] task ${input.taskId}: could not save streamed events`, err));
  }, flushIntervalMs);
  timer.unref?.();
  const owner = agentProcessOwner(input.db, input.taskId);

  const push = async (e: AgentEvent) => {
    const { type, ...payload } = e;
    buffer.push({ type, payload: payload as Record<string, unknown>, createdAt: clock.now() });
    if (buffer.length >= flushMaxEvents) await flush();
  };

  try {
    const { prompt, maxTurns, cwd, resumeSessionId, env } = input;
    const signal = runAbort.signal;
    const maxCostUsd = input.budget?.maxCostUsd ?? null;
    if (meter.unenforceable()) await push({ type: "stderr", line: meter.unenforceableMessage() });
    for await (const event of input.runtime.run({ prompt, maxTurns, cwd, resumeSessionId, env, signal, onProcessGroup: owner.record, maxCostUsd })) {
      // Deltas repeat the turn's `assistant` message piece by piece: persisting them
      // would write per token and store the text twice (DESIGN.md "task_events").
      if (event.type === "text_delta") continue;
      switch (event.type) {
        case "assistant":
          turns += 1;
          lastText = event.text;
          dirtyProgress = true;
          break;
        case "session":
          sessionId = event.sessionId;
          dirtyProgress = true;
          break;
        case "usage":
          usage = {
            inputTokens: usage.inputTokens + event.inputTokens,
            outputTokens: usage.outputTokens + event.outputTokens,
            costUsd: usage.costUsd + (event.costUsd ?? 0),
            seen: true,
          };
          meter.reported(event.costUsd);
          dirtyProgress = true;
          // A reported cost (Claude Code's total_cost_usd) comes with the run's result: the run
          // is over, and Claude enforces its own cap (maxBudgetUsd). Token usage streams per
          // step or turn: stop the run once its priced cost reaches the cap.
          if (!result && event.costUsd === undefined && meter.reached(usage) && !runAbort.signal.aborted) {
            await push(event);
            await push({ type: "stderr", line: meter.stopMessage(usage) });
            runAbort.abort("budget_exceeded");
            continue;
          }
          break;
        case "result":
          result = event.result;
          break;
      }
      await push(event);
    }
  } catch (err) {
    thrown = err;
    await push({ type: "stderr", line: `runtime error: ${(err as Error)?.message ?? String(err)}` });
  } finally {
    input.signal.removeEventListener("abort", passAbort);
    clearInterval(timer);
    try {
      await flush();
    } catch (err) {
      console.error(`[agentcron] task ${input.taskId}: could not flush events`, err);
    }
    await owner.release();
    publish.end(input.taskId);
  }

  const outcome: TaskOutcome = {
    status: "failed",
    failureReason: null,
    error: null,
    result: result?.text ?? lastText,
    turnCount: result?.turns ?? turns,
    sessionId: result?.sessionId ?? sessionId,
    inputTokens: result?.inputTokens ?? (usage.seen ? usage.inputTokens : null),
    outputTokens: result?.outputTokens ?? (usage.seen ? usage.outputTokens : null),
    costUsd: meter.finalCostUsd(result, usage),
  };

  const abortReason = runAbort.signal.aborted ? runAbort.signal.reason : undefined;
  if (abortReason !== undefined && result?.status !== "success") {
    if (abortReason === "cancelled") {
      return { ...outcome, status: "cancelled", failureReason: "aborted", error: "Cancelled by user" };
    }
    if (abortReason === "budget_exceeded") return { ...outcome, failureReason: "budget_exceeded", error: meter.stopMessage(usage) };
    return { ...outcome, failureReason: abortFailureReason(runAbort.signal), error: `Aborted: ${String(abortReason)}` };
  }
  if (result?.status === "success") return { ...outcome, status: "completed" };
  if (result?.status === "max_turns") {
    return {
      ...outcome,
      failureReason: "turn_limit_exceeded",
      error: result.error ?? `Stopped at the turn budget of ${input.maxTurns} agent turns`,
    };
  }
  const error = result?.error ?? (thrown ? ((thrown as Error).message ?? String(thrown)) : "The runtime ended without a result");
  return { ...outcome, failureReason: result?.failureReason ?? classifyErrorText(error), error };
}
