/**
 * Spend governance end to end (issue 11 item 3): a real agent process (the scripted Codex
 * agent reporting usage after every turn) is stopped at its per-run cost cap, the schedule's
 * next firings are skipped with `budget_exceeded` (one event per breach), raising the cap
 * lets the next occurrence run; the global daily cap; the counters in /api/metrics.
 * Fake clock for the scheduler; real child processes for the agent.
 */
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { updateSettings } from "@/lib/config/settings";
import { getDb } from "@/lib/db/client";
import type { RuntimeRow } from "@/lib/db/schema";
import { run, tablesOf } from "@/lib/db/sql";
import { renderPrometheusMetrics } from "@/lib/metrics/prometheus";
import { commandRuntime } from "@/lib/runtimes/command";
import { commandConfigSchema } from "@/lib/runtimes/config";
import type { SchedulerLoop } from "@/lib/scheduler/loop";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { startScheduler } from "@/lib/scheduler/start";
import { updateSchedule } from "@/lib/schedules/service";
import { FakeClock } from "@/lib/time/clock";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { BACKOFF_MS, eventsOf, setCap, taskById, tasksOf } from "../support/scheduler-harness";
import { clearSpendTables } from "../support/spend";
import { waitFor } from "../support/test-runtime";

const AGENT = path.resolve(__dirname, "../fixtures/scripted-agent.mjs");
const MIN = 60_000;

const loops: SchedulerLoop[] = [];
beforeEach(async () => {
  await truncateAll();
  await clearSpendTables();
});
afterEach(async () => {
  while (loops.length) {
    const loop = loops.pop()!;
    loop.halt();
    await loop.idle();
    await loop.stop();
  }
});

/**
 * A scheduler whose runtime is the scripted Codex agent as a `command` runtime priced as
 * gpt-4.1 ($2 in / $8 out per million tokens): 1000 + 1000 tokens a turn = $0.01 a turn.
 * `agentArgs()` is read at each launch, so a test can change what the next run does.
 */
async function startWithAgent(agentArgs: () => string[], model = "gpt-4.1") {
  const db = getDb();
  const clock = new FakeClock(T0);
  const runnerId = await registerRunner(db, clock.now());
  const resolveRuntime = async () => {
    const config = commandConfigSchema.parse({ command: [process.execPath, AGENT, "--format", "codex-json", ...agentArgs()], promptVia: "stdin", outputFormat: "codex-json", model });
    const row: RuntimeRow = { id: "rt-codex", name: "codex", kind: "command", config, isDefault: true, createdAt: T0, updatedAt: T0 };
    return { row, runtime: commandRuntime(config, { killGraceMs: 500 }) };
  };
  const loop = await startScheduler({ db, clock, runnerId, resolveRuntime, timers: false, retryBackoffMs: BACKOFF_MS });
  loops.push(loop);
  return { db, clock, loop };
}

/**
 * A pass at the clock's current time. A pass already running (a task's finish pokes the
 * loop) makes runPass return that pass's report; ask again until one ran at this instant.
 */
async function passNow(s: { loop: SchedulerLoop; clock: FakeClock }): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await s.loop.runPass())?.at === s.clock.now()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("no pass ran at the current instant");
}

async function settle(loop: SchedulerLoop, taskId: string): Promise<void> {
  await waitFor(async () => !["queued", "running"].includes((await taskById(taskId)).status), `task ${taskId} to finish`, 20_000);
  await loop.idle();
}

function metricValue(body: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = body.split("\n").find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(" ").at(-1)) : undefined;
}

describe("cost caps", () => {
  it("stops a run at its per-run cap, skips the next firings over the 24 h cap (one event), and runs again once the cap is raised", async () => {
    await setCap(2);
    // Turn usage $0.01; the first run wants 10 turns but the per-run cap is $0.025.
    let args = ["--turns", "10", "--delay-ms", "150", "--turn-usage", "1000:1000"];
    const s = await startWithAgent(() => args);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1, maxCostUsdPerRun: 0.025, maxCostUsd24h: 0.02 });

    s.clock.set(T0 + 5 * MIN);
    await passNow(s);
    const [first] = await tasksOf(sched.id);
    await settle(s.loop, first.id);
    const stopped = await taskById(first.id);
    expect(stopped).toMatchObject({ status: "failed", failureReason: "budget_exceeded", inputTokens: 3000, outputTokens: 3000 });
    expect(stopped.costUsd).toBeCloseTo(0.03, 10);
    expect(stopped.error).toMatch(/cost budget of \$0\.0250 per run/);

    // The next two firings: over the 24 h cap ($0.03 ≥ $0.02) → skipped, one event for the breach.
    for (const minute of [10, 15]) {
      s.clock.set(T0 + minute * MIN);
      await passNow(s);
    }
    const afterSkips = await tasksOf(sched.id);
    expect(afterSkips.map((t) => [t.status, t.skippedReason ?? t.failureReason])).toEqual([
      ["failed", "budget_exceeded"],
      ["skipped", "budget_exceeded"],
      ["skipped", "budget_exceeded"],
    ]);
    const budgetEvents = (await eventsOf(sched.id)).filter((e) => e.kind === "budget_exceeded");
    expect(budgetEvents.map((e) => e.data)).toEqual([
      { scope: "run", capUsd: 0.025, spentUsd: expect.closeTo(0.03, 10) },
      { scope: "24h", capUsd: 0.02, spentUsd: expect.closeTo(0.03, 10) },
    ]);
    expect(budgetEvents[1].taskId).toBe(afterSkips[1].id);

    // Raising the cap lets the next occurrence run (this one finishes in 2 turns, $0.02).
    await updateSchedule(sched.id, { maxCostUsd24h: 1 }, T0 + 16 * MIN);
    args = ["--turns", "2", "--turn-usage", "1000:1000"];
    s.clock.set(T0 + 20 * MIN);
    await passNow(s);
    const fourth = (await tasksOf(sched.id))[3];
    await settle(s.loop, fourth.id);
    expect(await taskById(fourth.id)).toMatchObject({ status: "completed", inputTokens: 2000, outputTokens: 2000 });
    expect((await taskById(fourth.id)).costUsd).toBeCloseTo(0.02, 10);

    // Counted: failures by class, skipped by reason, breaches by scope.
    const [body] = await renderPrometheusMetrics(s.db);
    expect(metricValue(body, "agentcron_task_failures_total", { schedule_id: sched.id, failure_reason: "budget_exceeded" })).toBe(1);
    expect(metricValue(body, "agentcron_skipped_firings_total", { schedule_id: sched.id, reason: "budget_exceeded" })).toBe(2);
    expect(metricValue(body, "agentcron_budget_breaches_total", { schedule_id: sched.id, scope: "run" })).toBe(1);
    expect(metricValue(body, "agentcron_budget_breaches_total", { schedule_id: sched.id, scope: "24h" })).toBe(1);
  }, 60_000);

  it("a breach that ends and comes back is alerted again (once per cause, not per firing)", async () => {
    await setCap(2);
    const s = await startWithAgent(() => ["--turns", "1", "--turn-usage", "1000:1000"]);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1, maxCostUsd7d: 0.05 });
    // $0.06 already spent this week by finished tasks.
    await makeTask({ scheduleId: sched.id, status: "completed", finishedAt: T0 - 2 * 24 * 60 * MIN, costUsd: 0.06, inputTokens: 1, outputTokens: 1 });
    s.clock.set(T0 + 5 * MIN);
    await passNow(s);
    s.clock.set(T0 + 10 * MIN);
    await passNow(s);
    expect((await tasksOf(sched.id)).filter((t) => t.skippedReason === "budget_exceeded")).toHaveLength(2);
    // Raised: the next one runs and closes the breach; lowered again: the next skip alerts again.
    await updateSchedule(sched.id, { maxCostUsd7d: 1 }, T0 + 11 * MIN);
    s.clock.set(T0 + 15 * MIN);
    await passNow(s);
    const ran = (await tasksOf(sched.id)).find((t) => t.plannedAt === T0 + 15 * MIN)!;
    await settle(s.loop, ran.id);
    expect((await taskById(ran.id)).status).toBe("completed");
    await updateSchedule(sched.id, { maxCostUsd7d: 0.05 }, T0 + 16 * MIN);
    s.clock.set(T0 + 20 * MIN);
    await passNow(s);
    const events = (await eventsOf(sched.id)).filter((e) => e.kind === "budget_exceeded");
    expect(events.map((e) => (e.data as { scope: string }).scope)).toEqual(["7d", "7d"]);
    expect(events.map((e) => e.createdAt)).toEqual([T0 + 5 * MIN, T0 + 20 * MIN]);
  }, 60_000);

  it("the global daily cap (Settings maxCostUsdPerDay) skips every schedule's firings; manual runs are not firings", async () => {
    await setCap(2);
    const s = await startWithAgent(() => ["--turns", "1", "--turn-usage", "1000:1000"]);
    const a = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1 });
    const b = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1 });
    // Spent today (UTC) by a task without a schedule, and yesterday's spend that must not count.
    await makeTask({ scheduleId: null, sourceType: "manual", status: "completed", finishedAt: T0 - 60 * MIN, costUsd: 0.5, inputTokens: 1, outputTokens: 1 });
    await makeTask({ scheduleId: a.id, status: "completed", finishedAt: T0 - 13 * 60 * MIN, costUsd: 5, inputTokens: 1, outputTokens: 1 });
    await updateSettings({ maxCostUsdPerDay: 0.5 }, T0);
    s.clock.set(T0 + 5 * MIN);
    await passNow(s);
    const skipped = [...(await tasksOf(a.id)), ...(await tasksOf(b.id))].filter((t) => t.status === "skipped");
    expect(skipped.map((t) => t.skippedReason)).toEqual(["budget_exceeded", "budget_exceeded"]);
    const dayEvents = [...(await eventsOf(a.id)), ...(await eventsOf(b.id))].filter((e) => e.kind === "budget_exceeded");
    expect(dayEvents).toHaveLength(1);
    expect(dayEvents[0].data).toEqual({ scope: "day", capUsd: 0.5, spentUsd: 0.5 });

    // Raised in Settings: the next occurrences run.
    await updateSettings({ maxCostUsdPerDay: 10 }, T0 + 6 * MIN);
    s.clock.set(T0 + 10 * MIN);
    await passNow(s);
    const ran = [...(await tasksOf(a.id)), ...(await tasksOf(b.id))].filter((t) => t.plannedAt === T0 + 10 * MIN);
    expect(ran).toHaveLength(2);
    for (const t of ran) await settle(s.loop, t.id);
    expect((await Promise.all(ran.map((t) => taskById(t.id)))).map((t) => t.status)).toEqual(["completed", "completed"]);
  }, 60_000);

  it("a model without a price: the run's cost is unknown (null, never $0) and a per-run cap says it can't hold", async () => {
    await setCap(2);
    const s = await startWithAgent(() => ["--turns", "2", "--turn-usage", "1000:1000"], "my-local-llama");
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1, maxCostUsdPerRun: 0.001 });
    s.clock.set(T0 + 5 * MIN);
    await passNow(s);
    const [task] = await tasksOf(sched.id);
    await settle(s.loop, task.id);
    expect(await taskById(task.id)).toMatchObject({ status: "completed", inputTokens: 2000, outputTokens: 2000, costUsd: null });
    const { taskEvents } = tablesOf(s.db);
    const lines = (await run(s.db, s.db.select().from(taskEvents))).filter((e) => e.taskId === task.id && e.type === "stderr").map((e) => (e.payload as { line: string }).line);
    expect(lines.some((l) => /no price for model "my-local-llama"/.test(l))).toBe(true);
  }, 60_000);
});
