/**
 * The per-run cost cap on an OpenAI-compatible runtime (issue 11 item 3): usage streams per
 * step, Agentcron prices it with the table (gpt-4o: $2.50 in / $10 out per million tokens)
 * and aborts the run when it reaches the cap — against a real local HTTP model server.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { runBudgetFor } from "@/lib/budgets/launch";
import { effectivePriceTable } from "@/lib/budgets/prices";
import { getDb } from "@/lib/db/client";
import { openAiCompatibleRuntime } from "@/lib/runtimes/openai-compatible";
import { executeTask } from "@/lib/runtimes/task-executor";
import { makeTask, truncateAll } from "../factories";
import { startOpenAiServer } from "../fixtures/openai-server.mjs";

beforeEach(async () => truncateAll());

describe("per-run cap on an openai-compatible runtime", () => {
  it("stops the run after the step whose priced usage reaches the cap", async () => {
    const server = await startOpenAiServer();
    try {
      // Each step: 50 input + 10 output tokens = $0.000225 at gpt-4o prices; the agent wants 8 steps.
      const config = { baseUrl: `${server.urlFor({ turns: 8 })}/v1`, model: "gpt-4o" };
      const task = await makeTask({ status: "running" });
      const budget = runBudgetFor({ maxCostUsd: 0.0006, priceTable: effectivePriceTable() }, { kind: "openai-compatible", config });
      const outcome = await executeTask({ db: getDb(), taskId: task.id, runtime: openAiCompatibleRuntime(config), prompt: "work", maxTurns: 20, signal: new AbortController().signal, budget });
      expect(outcome).toMatchObject({ status: "failed", failureReason: "budget_exceeded", inputTokens: 150, outputTokens: 30 });
      expect(outcome.costUsd).toBeCloseTo(0.000675, 12);
      expect(server.requests.filter((r) => r.method === "POST").length).toBeLessThan(8);
    } finally {
      await server.close();
    }
  });

  it("without a cap the same run finishes, and its cost is priced from the tokens", async () => {
    const server = await startOpenAiServer();
    try {
      const config = { baseUrl: `${server.urlFor({ turns: 3 })}/v1`, model: "gpt-4o" };
      const task = await makeTask({ status: "running" });
      const budget = runBudgetFor({ maxCostUsd: null, priceTable: effectivePriceTable() }, { kind: "openai-compatible", config });
      const outcome = await executeTask({ db: getDb(), taskId: task.id, runtime: openAiCompatibleRuntime(config), prompt: "work", maxTurns: 20, signal: new AbortController().signal, budget });
      expect(outcome).toMatchObject({ status: "completed", inputTokens: 150, outputTokens: 30 });
      expect(outcome.costUsd).toBeCloseTo(0.000675, 12);
    } finally {
      await server.close();
    }
  });
});
