/**
 * Per-run spend (issue 11 item 3): what a run has cost so far and whether it reached its
 * cap. Pure (no DB): the task executor feeds it the streamed usage.
 *
 * Cost of a run = what the runtime reports (Claude Code's `total_cost_usd`) when it reports
 * any, else its tokens × the price of the runtime's model (prices.ts); null = unknown (no
 * price), never $0.
 */
import { costOf, type ModelPrice } from "./prices";
import type { RunResult } from "../runtimes/types";

/** The run's cap and price, resolved at launch (budgets/launch.ts). */
export interface RunBudget {
  /** Schedule maxCostUsdPerRun (USD); null = no cap. */
  maxCostUsd: number | null;
  /** Price of the runtime's model; null = unknown. */
  price: ModelPrice | null;
  /** The model name, for messages. */
  model: string | null;
  /** Runtime kind: `claude-agent-sdk` enforces the cap itself (maxBudgetUsd). */
  runtimeKind: string;
}

/** Usage summed by the executor so far (`costUsd` = sum of the reported costs). */
export interface StreamedUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  seen: boolean;
}

const fmt = (usd: number) => `$${usd.toFixed(usd < 1 ? 4 : 2)}`;

export class RunBudgetMeter {
  private reportedAny = false;

  constructor(private readonly budget: RunBudget | undefined) {}

  /** Records a usage event's reported cost (undefined = the runtime reported tokens only). */
  reported(costUsd: number | undefined): void {
    if (costUsd !== undefined) this.reportedAny = true;
  }

  /** Cost so far (USD), or null when unknown. */
  costUsd(usage: StreamedUsage): number | null {
    if (!usage.seen) return null;
    if (this.reportedAny) return usage.costUsd;
    return costOf(usage, this.budget?.price ?? null);
  }

  /** True when the run has a cap and its known cost reached it. */
  reached(usage: StreamedUsage): boolean {
    const cap = this.budget?.maxCostUsd;
    const cost = this.costUsd(usage);
    return cap != null && cost != null && cost >= cap;
  }

  /** A cap is set but the cost can only be known if the runtime reports it (no price, not the SDK). */
  unenforceable(): boolean {
    return this.budget?.maxCostUsd != null && !this.budget.price && this.budget.runtimeKind !== "claude-agent-sdk";
  }

  unenforceableMessage(): string {
    const model = this.budget?.model ? `model "${this.budget.model}"` : "this runtime (its config names no model)";
    return `Cost cap ${fmt(this.budget?.maxCostUsd ?? 0)}: no price for ${model}, so the cap holds only if the runtime reports its cost (Settings → Model prices)`;
  }

  stopMessage(usage: StreamedUsage): string {
    return `Stopped at the cost budget of ${fmt(this.budget?.maxCostUsd ?? 0)} per run (spent ${fmt(this.costUsd(usage) ?? 0)})`;
  }

  /**
   * The run's final cost: the runtime's reported figure when it reported one, else the
   * tokens (the result's, or the streamed sum) × the price; null when unknown or no usage at all.
   */
  finalCostUsd(result: RunResult | null, usage: StreamedUsage): number | null {
    if (this.reportedAny) return result?.costUsd ?? usage.costUsd;
    if (result?.costUsd != null && result.costUsd > 0) return result.costUsd;
    const inputTokens = result?.inputTokens ?? (usage.seen ? usage.inputTokens : null);
    const outputTokens = result?.outputTokens ?? (usage.seen ? usage.outputTokens : null);
    if (inputTokens == null && outputTokens == null) return result?.costUsd ?? null;
    return costOf({ inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 }, this.budget?.price ?? null);
  }
}
