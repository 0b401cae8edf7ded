import "server-only";
import type { Db } from "../db/client";
import { selectRunCap } from "../db/queries/spend";
import type { TaskRow } from "../db/schema";
import type { NewEvent } from "../events/log";
import type { RuntimeRow } from "../db/schema";
import type { TaskOutcome } from "../runtimes/task-executor";
import { priceFor, runtimeModel, type ModelPrice } from "./prices";
import type { RunBudget } from "./run-budget";
import { getPriceTable } from "./settings";

/** What launchTask reads for a run's budget before the run is deferred (budgets/launch.ts runBudgetFor). */
export interface RunSpendContext {
  /** The schedule's maxCostUsdPerRun (USD); null = none. */
  maxCostUsd: number | null;
  priceTable: Record<string, ModelPrice>;
}

/**
 * Reads a task's per-run cap — its schedule's `maxCostUsdPerRun`, manual runs of a schedule
 * included (the cap is per run) — and the price table. Called by launchTask during the pass,
 * so the deferred start spawns the agent as soon as its runtime is resolved.
 */
export async function loadRunSpend(db: Db, task: Pick<TaskRow, "scheduleId">): Promise<RunSpendContext> {
  const cap = task.scheduleId ? await selectRunCap(db, task.scheduleId) : undefined;
  return { maxCostUsd: cap?.maxCostUsdPerRun ?? null, priceTable: await getPriceTable(db) };
}

/** The run's budget once its runtime is known: the cap and the price of the runtime's `config.model`. */
export function runBudgetFor(spend: RunSpendContext, runtime: Pick<RuntimeRow, "kind" | "config">): RunBudget {
  const model = runtimeModel(runtime.config);
  return { maxCostUsd: spend.maxCostUsd, price: priceFor(model, spend.priceTable), model, runtimeKind: runtime.kind };
}

/**
 * The `budget_exceeded` event {scope: "run", capUsd, spentUsd} of a run stopped at its
 * per-run cap (by Agentcron's meter or by Claude Code's maxBudgetUsd), for the terminal
 * write's transaction; null for any other outcome or when the run had no cap.
 */
export function runBudgetEvent(task: Pick<TaskRow, "id" | "scheduleId">, budget: RunBudget | null, outcome: TaskOutcome): ((retryTaskId: string | null) => Omit<NewEvent, "createdAt">) | undefined {
  // A billing error (HTTP 402 …) is budget_exceeded too, but not this cap's doing.
  if (outcome.failureReason !== "budget_exceeded" || budget?.maxCostUsd == null || outcome.costUsd == null || outcome.costUsd < budget.maxCostUsd) return undefined;
  const cap = budget.maxCostUsd;
  const spent = outcome.costUsd;
  return () => ({
    kind: "budget_exceeded",
    scheduleId: task.scheduleId,
    taskId: task.id,
    message: `Run stopped at its cost cap of $${cap.toFixed(2)} (spent $${spent.toFixed(4)})`,
    data: { scope: "run", capUsd: cap, spentUsd: spent },
  });
}
