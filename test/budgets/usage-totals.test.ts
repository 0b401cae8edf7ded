/**
 * Usage totals per schedule (issue 11 item 3): exact sums by window from the trigger-maintained
 * hourly rollups, through GET /api/schedules and GET/PATCH /api/schedules/:id; unknown cost
 * stays unknown; the price table's lookup and its Settings entries; the caps' input bounds.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { GET as list } from "@/app/api/schedules/route";
import { GET as getOne, PATCH as patchOne } from "@/app/api/schedules/[id]/route";
import { GET as getSettings, PATCH as patchSettings } from "@/app/api/settings/route";
import { scheduleUsage, usageWindows } from "@/lib/budgets/usage";
import { selectUsageTotals } from "@/lib/db/queries/spend";
import { formatUsd } from "@/components/schedules/usage-summary";
import { DEFAULT_MODEL_PRICES, effectivePriceTable, priceFor } from "@/lib/budgets/prices";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { eq } from "drizzle-orm";
import { recordEvent } from "@/lib/events/log";
import { renderPrometheusMetrics } from "@/lib/metrics/prometheus";
import { callRoute } from "../http";
import { makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { clearSpendTables } from "../support/spend";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeEach(async () => {
  await truncateAll();
  await clearSpendTables();
  await makeRuntime({ isDefault: true });
});

describe("usage totals", () => {
  it("sums finished tasks' cost and tokens exactly per window; running, queued and skipped tasks add nothing", async () => {
    const now = T0; // 12:00 UTC
    const s = await makeSchedule();
    const other = await makeSchedule();
    const done = (finishedAt: number, costUsd: number | null, inputTokens: number, outputTokens: number, scheduleId = s.id) =>
      makeTask({ scheduleId, status: "completed", finishedAt, costUsd, inputTokens, outputTokens });
    await done(now - 10 * 60_000, 0.25, 100, 10); // this hour
    await done(now - 20 * HOUR, 0.5, 200, 20); // 24 h
    await done(now - 3 * DAY, 1, 300, 30); // 7 d
    await done(now - 20 * DAY, 2, 400, 40); // 30 d
    await done(now - 90 * DAY, 4, 500, 50); // all time only
    await done(now - 2 * HOUR, null, 1000, 100); // unknown cost (no price): tokens count, cost doesn't
    await done(now - HOUR, 8, 1, 1, other.id);
    await makeTask({ scheduleId: s.id, status: "running", startedAt: now - 60_000, costUsd: 16, inputTokens: 5, outputTokens: 5 });
    await makeTask({ scheduleId: s.id, status: "skipped", skippedReason: "overlap", finishedAt: now - 60_000 });

    const usage = (await scheduleUsage(getDb(), [s.id, other.id], now)).get(s.id)!;
    expect(usage).toEqual({
      costUsd24h: 0.75, costUsd7d: 1.75, costUsd30d: 3.75, costUsdAll: 7.75,
      inputTokens24h: 1300, outputTokens24h: 130, inputTokens7d: 1600, outputTokens7d: 160,
      inputTokens30d: 2000, outputTokens30d: 200, inputTokensAll: 2500, outputTokensAll: 250,
      runs30d: 5, unpricedRuns30d: 1, unpricedRunsAll: 1,
    });

    // The cost caps' gate reads only the windows it checks (24 h, 7 d); the others stay 0.
    const [gate] = await selectUsageTotals(getDb(), usageWindows(now), [s.id], ["h24", "d7"]);
    expect(gate).toMatchObject({ scheduleId: s.id, cost24h: 0.75, in24h: 1300, cost7d: 1.75, out7d: 160, unpriced7d: 1, cost30d: 0, runs30d: 0, costAll: 0 });

    // The list carries the same totals, read for every schedule at once (at the real clock, so
    // only the all-time totals are compared).
    const res = await callRoute(list, "/api/schedules");
    const listed = new Map(res.data.schedules.map((x: { id: string; usage: unknown }) => [x.id, x.usage]));
    expect(listed.get(s.id)).toMatchObject({ costUsdAll: 7.75, inputTokensAll: 2500, outputTokensAll: 250, unpricedRunsAll: 1 });
    expect(listed.get(other.id)).toMatchObject({ costUsdAll: 8, outputTokensAll: 1 });
  });

  it("follows a finished task's later changes, and pruning history does not lower it", async () => {
    const s = await makeSchedule();
    const t = await makeTask({ scheduleId: s.id, status: "running", startedAt: T0 - 60_000, costUsd: 0.1, inputTokens: 10, outputTokens: 1 });
    const db = getDb();
    const { tasks } = tablesOf(db);
    expect((await scheduleUsage(db, [s.id], T0)).get(s.id)!.costUsdAll).toBe(0);
    await run(db, db.update(tasks).set({ status: "completed", finishedAt: T0 - 1000, costUsd: 0.5, inputTokens: 50, outputTokens: 5 }).where(eq(tasks.id, t.id)));
    expect((await scheduleUsage(db, [s.id], T0)).get(s.id)).toMatchObject({ costUsd24h: 0.5, costUsdAll: 0.5, inputTokensAll: 50, runs30d: 1 });
    await run(db, db.update(tasks).set({ costUsd: 0.75 }).where(eq(tasks.id, t.id)));
    expect((await scheduleUsage(db, [s.id], T0)).get(s.id)).toMatchObject({ costUsd24h: 0.75, costUsdAll: 0.75, runs30d: 1 });
    await run(db, db.delete(tasks).where(eq(tasks.id, t.id)));
    expect((await scheduleUsage(db, [s.id], T0)).get(s.id)).toMatchObject({ costUsdAll: 0.75, inputTokensAll: 50 });
    // Windows move with the clock: 2 days later the 24 h window is empty, the 7 d one is not.
    expect((await scheduleUsage(db, [s.id], T0 + 2 * DAY)).get(s.id)).toMatchObject({ costUsd24h: 0, costUsd7d: 0.75 });
  });

  it("a schedule whose runs all have an unknown cost shows cost unknown (null), never $0", async () => {
    const s = await makeSchedule();
    await makeTask({ scheduleId: s.id, status: "completed", finishedAt: Date.now() - 60_000, costUsd: null, inputTokens: 1200, outputTokens: 300 });
    const res = await callRoute(getOne, `/api/schedules/${s.id}`, { params: { id: s.id } });
    expect(res.status).toBe(200);
    expect(res.data.schedule.usage).toMatchObject({ costUsd24h: null, costUsd30d: null, costUsdAll: null, inputTokens30d: 1200, outputTokens30d: 300, unpricedRuns30d: 1 });
    // Never ran: $0 spent is known.
    const fresh = await makeSchedule();
    expect((await callRoute(getOne, `/api/schedules/${fresh.id}`, { params: { id: fresh.id } })).data.schedule.usage).toMatchObject({ costUsd24h: 0, costUsdAll: 0 });
  });
});

describe("runs that report no usage at all", () => {
  it("a schedule whose only run was a failed command run with no model shows unknown, not $0 (the rollup counts it as unpriced)", async () => {
    const db = getDb();
    const s = await makeSchedule();
    const now = Date.now();
    // The executor's path: the run starts, then fails without ever reporting usage (a command runtime with no model).
    const task = await makeTask({ scheduleId: s.id, status: "running", startedAt: now - 120_000 });
    await run(db, db.update(tablesOf(db).tasks).set({ status: "failed", failureReason: "process_failure", finishedAt: now - 60_000 }).where(eq(tablesOf(db).tasks.id, task.id)));
    // A firing skipped before it started, and a run cancelled while queued, ran nothing: they add nothing.
    await makeTask({ scheduleId: s.id, status: "skipped", skippedReason: "overlap", finishedAt: now - 30_000 });
    await makeTask({ scheduleId: s.id, status: "cancelled", finishedAt: now - 30_000 });

    const res = await callRoute(list, "/api/schedules");
    const usage = res.data.schedules.find((x: { id: string }) => x.id === s.id).usage;
    expect(usage).toMatchObject({ costUsd24h: null, costUsd30d: null, costUsdAll: null, runs30d: 1, unpricedRuns30d: 1, inputTokens30d: 0 });
    expect(`${formatUsd(usage.costUsd24h, usage.unpricedRuns30d)} / 24 h`).toBe("unknown / 24 h");

    // With a priced run beside it the sum is known in part: "$0.50 + unknown".
    await makeTask({ scheduleId: s.id, status: "completed", startedAt: now - 50_000, finishedAt: now - 40_000, costUsd: 0.5, inputTokens: 10, outputTokens: 10 });
    const both = (await scheduleUsage(db, [s.id], now)).get(s.id)!;
    expect(both).toMatchObject({ costUsd24h: 0.5, runs30d: 2, unpricedRuns30d: 1 });
    expect(formatUsd(both.costUsd24h, both.unpricedRuns30d)).toBe("$0.50 + unknown");

    // A finished run's later change moves it out exactly (the update trigger's old side): priced now.
    await run(db, db.update(tablesOf(db).tasks).set({ costUsd: 0.25 }).where(eq(tablesOf(db).tasks.id, task.id)));
    expect((await scheduleUsage(db, [s.id], now)).get(s.id)).toMatchObject({ costUsd24h: 0.75, runs30d: 2, unpricedRuns30d: 0 });
  });
});

describe("per-schedule counters for /api/metrics", () => {
  it("count failures by class, skips by reason, missed and breaches; pruning does not lower them", async () => {
    const db = getDb();
    const s = await makeSchedule();
    const failed = await makeTask({ scheduleId: s.id, status: "failed", failureReason: "network", finishedAt: T0 });
    const queued = await makeTask({ scheduleId: s.id, status: "queued" });
    const { tasks } = tablesOf(db);
    await run(db, db.update(tasks).set({ status: "failed", failureReason: "auth_failed", finishedAt: T0 }).where(eq(tasks.id, queued.id)));
    await makeTask({ scheduleId: s.id, status: "skipped", skippedReason: "overlap", finishedAt: T0 });
    await recordEvent(db, { kind: "missed_occurrences", scheduleId: s.id, message: "missed", data: { count: 3 }, createdAt: T0 });
    await recordEvent(db, { kind: "budget_exceeded", scheduleId: s.id, message: "cap", data: { scope: "7d", capUsd: 1, spentUsd: 1.5 }, createdAt: T0 });
    await run(db, db.delete(tasks).where(eq(tasks.id, failed.id)));
    const [body] = await renderPrometheusMetrics(db);
    const lines = body.split("\n").filter((l) => l.includes(s.id) && l.includes("_total"));
    expect(lines.sort()).toEqual(
      [
        `agentcron_budget_breaches_total{schedule_id="${s.id}",scope="7d"} 1`,
        `agentcron_missed_occurrences_total{schedule_id="${s.id}"} 3`,
        `agentcron_skipped_firings_total{schedule_id="${s.id}",reason="overlap"} 1`,
        `agentcron_task_failures_total{schedule_id="${s.id}",failure_reason="auth_failed"} 1`,
        `agentcron_task_failures_total{schedule_id="${s.id}",failure_reason="network"} 1`,
      ].sort(),
    );
  });
});

describe("schedule caps in the API", () => {
  it("PATCH sets and clears the caps and answers with usage; bad caps are 400 with fields", async () => {
    const s = await makeSchedule();
    const ok = await callRoute(patchOne, `/api/schedules/${s.id}`, { method: "PATCH", params: { id: s.id }, json: { maxCostUsdPerRun: 0.5, maxCostUsd24h: 5, maxCostUsd7d: 20 } });
    expect(ok.status).toBe(200);
    expect(ok.data.schedule).toMatchObject({ maxCostUsdPerRun: 0.5, maxCostUsd24h: 5, maxCostUsd7d: 20, usage: { costUsd24h: 0 } });
    const cleared = await callRoute(patchOne, `/api/schedules/${s.id}`, { method: "PATCH", params: { id: s.id }, json: { maxCostUsd24h: null } });
    expect(cleared.data.schedule).toMatchObject({ maxCostUsdPerRun: 0.5, maxCostUsd24h: null });
    const bad = await callRoute(patchOne, `/api/schedules/${s.id}`, { method: "PATCH", params: { id: s.id }, json: { maxCostUsdPerRun: 0, maxCostUsd7d: "ten" } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.data.fields).sort()).toEqual(["maxCostUsd7d", "maxCostUsdPerRun"]);
  });
});

describe("price table", () => {
  it("prices by the longest model-name prefix; unknown models have no price", () => {
    const table = effectivePriceTable();
    expect(priceFor("claude-sonnet-4-5-20250929", table)).toEqual(DEFAULT_MODEL_PRICES["claude-sonnet-4"]);
    expect(priceFor("claude-opus-4-5", table)).toEqual({ inputUsdPerMTok: 5, outputUsdPerMTok: 25 });
    expect(priceFor("claude-opus-4-1-20250805", table)).toEqual({ inputUsdPerMTok: 15, outputUsdPerMTok: 75 });
    expect(priceFor("gpt-4o-mini-2024-07-18", table)).toEqual({ inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 });
    expect(priceFor("GPT-4o", table)).toEqual({ inputUsdPerMTok: 2.5, outputUsdPerMTok: 10 });
    expect(priceFor("gpt-40", table)).toBeNull();
    expect(priceFor("llama3.1:8b", table)).toBeNull();
    expect(priceFor(null, table)).toBeNull();
  });

  it("Settings entries win over the defaults, can price a local model at $0 and remove a default", async () => {
    const res = await callRoute(patchSettings, "/api/settings", {
      method: "PATCH",
      json: { maxCostUsdPerDay: 12.5, modelPrices: { "llama3.1": { inputUsdPerMTok: 0, outputUsdPerMTok: 0 }, "gpt-4o": { inputUsdPerMTok: 1, outputUsdPerMTok: 2 }, o3: null } },
    });
    expect(res.status).toBe(200);
    const view = (await callRoute(getSettings, "/api/settings")).data;
    expect(view.maxCostUsdPerDay).toBe(12.5);
    const table = effectivePriceTable(view.modelPrices);
    expect(priceFor("llama3.1:8b", table)).toEqual({ inputUsdPerMTok: 0, outputUsdPerMTok: 0 });
    expect(priceFor("gpt-4o", table)).toEqual({ inputUsdPerMTok: 1, outputUsdPerMTok: 2 });
    expect(priceFor("o3", table)).toBeNull();
    const off = await callRoute(patchSettings, "/api/settings", { method: "PATCH", json: { maxCostUsdPerDay: null } });
    expect(off.data.maxCostUsdPerDay).toBeNull();
    const bad = await callRoute(patchSettings, "/api/settings", { method: "PATCH", json: { maxCostUsdPerDay: -1, modelPrices: { x: { inputUsdPerMTok: -2, outputUsdPerMTok: 1 } } } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.data.fields)).toEqual(expect.arrayContaining(["maxCostUsdPerDay"]));
  });
});
