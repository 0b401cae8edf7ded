import "server-only";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import type { ResolvedRuntime } from "../runtimes/registry";
import { executeTask, type TaskOutcome } from "../runtimes/task-executor";
import { systemClock, type Clock } from "../time/clock";
import { dbLocation } from "../db/client";
import { selectTaskById } from "../db/queries/tasks-core";
import { executorHost } from "../runtimes/executor-host/host";
import { recentRss, startLagMonitor } from "./firing-metrics";
import { firingSampleFor, registerRunningTask, sampleRss, unregisterRunningTask, type RunningTask } from "./running-tasks";
import { countRunning } from "./slot-claim";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";
import { renderAndStorePrompt } from "../triggers/prompt-render";
import { loadRunSpend, runBudgetEvent, runBudgetFor, type RunSpendContext } from "../budgets/launch";
import type { RunBudget } from "../budgets/run-budget";

/** Turns a task's runtime id (null = the default runtime) into a runnable runtime; throws when none. */
export type RuntimeResolver = (db: Db, runtimeId: string | null) => Promise<ResolvedRuntime>;

export interface LaunchContext {
  db: Db;
  clock: Clock;
  runnerId: string;
  resolveRuntime: RuntimeResolver;
  retryBackoffMs: readonly number[];
  /** True while the runner shuts down: runs end without a terminal write (recovery retries them). */
  isStopping(): boolean;
  /** Called after the terminal write (the loop pokes itself: a slot freed). */
  onFinished(taskId: string): void;
  /**
   * Runs `start` (which resolves the runtime and spawns the agent) later, off the caller's
   * stack: the loop queues it on its LaunchQueue so a pass never waits on `spawn`.
   * `drop` instead gives the launch up before it spawned (the loop halted): the task leaves
   * the registry with no terminal write, its row stays `running` for recovery, like a crash.
   * Default: start at once.
   */
  defer?(start: () => void, drop: () => void): void;
}

export interface LaunchClaim {
  /** The claimed task as read after its claim (status running, runnerId = ctx.runnerId, its lease's leaseExpiresAt). */
  task: TaskRow;
  concurrentAtClaim: number;
  chatStreamsAtClaim: number;
}

async function run(ctx: LaunchContext, task: TaskRow, signal: AbortSignal, spend: { context: RunSpendContext; budget: RunBudget | null }): Promise<TaskOutcome> {
  let resolved: ResolvedRuntime;
  try {
    resolved = await ctx.resolveRuntime(ctx.db, task.runtimeId);
  } catch (err) {
    // No runnable runtime (none configured, deleted, bad config): fail the task clearly, never the loop.
    return outcomeWithoutRun(task, "failed", "runtime_missing_executable", `No runtime to run this task: ${(err as Error)?.message ?? String(err)}`);
  }
  // Spend (src/lib/budgets): the per-run cost cap and the model's price.
  spend.budget = runBudgetFor(spend.context, resolved.row);
  // Prompt variables (issue 12 item 6) are filled in as the run starts: {{attempt}} is this attempt's.
  const prompt = await renderAndStorePrompt(ctx.db, task);
  const run = { taskId: task.id, prompt, maxTurns: task.maxTurns, resumeSessionId: task.sessionId };

  // The executor host (ADR 0022) runs it off this thread when the runtime can be rebuilt from
  // its row, the database is reachable from another connection and the clock is the real one.
  const location = resolved.fromRow && ctx.clock === systemClock ? dbLocation(ctx.db) : null;
  const host = location ? await executorHost() : null;
  if (host && location) {
    try {
      return await host.execute({ ...run, location, runtimeRow: resolved.row, budget: spend.budget }, signal);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      // What the run persisted as it streamed (turns, tokens, cost) stays on the row.
      const current = (await selectTaskById(ctx.db, task.id)) ?? task;
      return outcomeWithoutRun(current, "failed", "agent_error", (err as Error)?.name === "ExecutorHostDiedError" ? message : `The run failed: ${message}`);
    }
  }
  return executeTask({ ...run, budget: spend.budget ?? undefined, db: ctx.db, runtime: resolved.runtime, signal, clock: ctx.clock });
}

/**
 * Starts a claimed task without blocking the caller: registers its AbortController in
 * the running-tasks registry at once (abort, idle(), the reaper's monotonic lease deadline
 * all see it), then — through `ctx.defer` when given, i.e. after the caller's pass — runs it
 * through its runtime (executeTask: in the executor host's worker thread when it can, ADR 0022;
 * else on this thread), writes the terminal state with the
 * `status='running' AND runnerId=me` guard (terminal-write.ts) and calls `onFinished`.
 * A run aborted before its deferred start never spawns (the runtimes check the signal
 * first) and is written like any aborted run. Never throws; errors are logged with the task id.
 */
export async function launchTask(ctx: LaunchContext, claim: LaunchClaim): Promise<RunningTask> {
  const { task } = claim;
  const controller = new AbortController();
  // The lease's remaining length, carried onto the monotonic clock (ADR 0006).
  const leaseExpiresAt = task.leaseExpiresAt;
  // Spend (src/lib/budgets): the per-run cap and price table, read now so the start isn't delayed.
  const spendContext = await loadRunSpend(ctx.db, task);
  let markDone!: () => void;
  const entry: RunningTask = {
    taskId: task.id,
    runnerId: ctx.runnerId,
    controller,
    done: new Promise<void>((resolve) => (markDone = resolve)),
    lag: null,
    peakRssBytes: recentRss(),
    chatStreamsAtClaim: claim.chatStreamsAtClaim,
    concurrentAtClaim: claim.concurrentAtClaim,
    leaseDeadlineMono: leaseExpiresAt != null ? ctx.clock.monotonic() + (leaseExpiresAt - ctx.clock.now()) : undefined,
  };
  registerRunningTask(entry);
  const start = async () => {
    entry.lag = startLagMonitor();
    let outcome: TaskOutcome;
    const spend: { context: RunSpendContext; budget: RunBudget | null } = { context: spendContext, budget: null };
    try {
      outcome = await run(ctx, task, controller.signal, spend);
    } catch (err) {
      outcome = outcomeWithoutRun(task, "failed", "agent_error", `The run failed: ${(err as Error)?.message ?? String(err)}`);
    }
    try {
      sampleRss();
      if (!ctx.isStopping()) {
        await finishRunningTask(ctx.db, {
          taskId: task.id,
          guardRunnerId: ctx.runnerId,
          outcome,
          now: ctx.clock.now(),
          sample: await firingSampleFor(task.id, async () => countRunning(ctx.db)),
          retryBackoffMs: ctx.retryBackoffMs,
          event: runBudgetEvent(task, spend.budget, outcome),
        });
      }
    } catch (err) {
      console.error(`[agentcron] task ${task.id}: terminal write failed`, err);
    } finally {
      unregisterRunningTask(task.id);
      markDone();
      try {
        ctx.onFinished(task.id);
      } catch (err) {
        console.error(`[agentcron] task ${task.id}: onFinished failed`, err);
      }
    }
  };
  const drop = () => {
    unregisterRunningTask(task.id);
    markDone();
  };
  if (ctx.defer) ctx.defer(() => void start(), drop);
  else void start();
  return entry;
}
