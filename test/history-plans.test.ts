/**
 * Query shapes of the history pages and of /api/metrics (issue 15 item 3): every task list
 * page seeks an index in its own order (no sort of the matching history, no table scan),
 * and a metrics scrape reads the maintained counters, never the tasks or firing rows.
 * Structural checks on the SQL SQLite is given (EXPLAIN QUERY PLAN), not timings: the
 * timings at 1,000,000 tasks are bench/history-scale.ts's.
 */
import type Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { renderPrometheusMetrics } from "@/lib/metrics/prometheus";
import { listTasks } from "@/lib/tasks/queries";
import { listSchedulesWithLastRun } from "@/lib/schedules/list";
import { selectUsageTotals } from "@/lib/db/queries/spend";
import { usageWindows } from "@/lib/budgets/usage";
import { makeSchedule, makeTask, T0, truncateAll } from "./factories";

/** Records the SQL of every statement prepared on the connection while `fn` runs. */
async function preparedDuring(fn: () => unknown): Promise<string[]> {
  const client = getDb().$client as Database.Database & { prepare: Database.Database["prepare"] };
  const original = client.prepare;
  const seen: string[] = [];
  client.prepare = ((sql: string) => {
    seen.push(sql);
    return original.call(client, sql);
  }) as Database.Database["prepare"];
  try {
    await fn();
  } finally {
    client.prepare = original;
  }
  return seen;
}

async function plan(sql: string): Promise<string[]> {
  const params = (sql.match(/\?/g) ?? []).map(() => null);
  return (getDb().$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
}

/**
 * The planner statistics of bench/history-scale.ts's 1,000,000 tasks (1,000 schedules, six
 * statuses), so SQLite plans these queries as it would at that size rather than for a
 * 20-row table. Columns past the measured prefix count as unique.
 */
async function applyMillionTaskStats(): Promise<void> {
  const c = getDb().$client;
  const measured: Record<string, number[]> = {
    tasks_schedule_idx: [1000000, 1000],
    tasks_status_created_idx: [1000000, 166667],
    tasks_created_idx: [1000000],
    tasks_schedule_status_idx: [1000000, 1000, 249],
    tasks_parent_idx: [1000000, 64],
    tasks_status_idx: [1000000, 166667],
    tasks_occurrence_unique: [929917, 930],
    sqlite_autoindex_tasks_1: [1000000],
  };
  c.exec("ANALYZE");
  c.exec("DELETE FROM sqlite_stat1 WHERE tbl = 'tasks'");
  for (const [idx, head] of Object.entries(measured)) {
    const columns = (c.prepare("SELECT count(*) FROM pragma_index_info(?)").pluck().get(idx) as number) || 1;
    const stat = [...head, ...Array(Math.max(0, columns + 1 - head.length)).fill(1)].slice(0, columns + 1).join(" ");
    c.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('tasks', ?, ?)").run(idx, stat);
  }
  c.exec("DELETE FROM sqlite_stat4 WHERE tbl = 'tasks'");
  c.exec("ANALYZE sqlite_schema");
}

describe("history query plans", () => {
  beforeEach(async () => truncateAll());
  afterEach(async () => truncateAll());

  it("every task list page (first and cursor; by status, schedule, both) seeks an index on all its filters, with no sort", async () => {
    const s = await makeSchedule();
    for (let i = 0; i < 20; i++) await makeTask({ scheduleId: s.id, status: i % 3 ? "completed" : "failed", createdAt: T0 + i });
    const db = getDb();
    const cursor = (await listTasks(db, { limit: 5 })).nextCursor!;
    const shapes = [
      {},
      { before: cursor },
      { status: "failed" as const },
      { status: "failed" as const, before: cursor },
      { scheduleId: s.id },
      { scheduleId: s.id, before: cursor },
      { scheduleId: s.id, status: "failed" as const },
      { scheduleId: s.id, status: "failed" as const, before: cursor },
    ];
    // As the app runs (it never ANALYZEs: no statistics), then with 1M-task statistics.
    for (const stats of ["none", "1M tasks"]) {
    if (stats !== "none") await applyMillionTaskStats();
    for (const shape of shapes) {
      const sqls = (await preparedDuring(async () => listTasks(db, { limit: 5, ...shape }))).filter((q) => /from "tasks"/i.test(q));
      expect(sqls, JSON.stringify(shape)).toHaveLength(1);
      const label = `${stats} stats: ${JSON.stringify(shape)}`;
      const steps = (await plan(sqls[0])).join(" | ");
      expect(steps, label).toMatch(/USING (COVERING )?INDEX tasks_/);
      expect(steps, label).not.toMatch(/TEMP B-TREE|^SCAN tasks$/);
      // Every filter is a seek into the index, not a check of each row the index walks past.
      if ("status" in shape) expect(steps, label).toMatch(/status=\?/);
      if ("scheduleId" in shape) expect(steps, label).toMatch(/schedule_id=\?/);
      if ("before" in shape) expect(steps, label).toContain("(created_at,id)<(?,?)");
    }
    }
  });

  it("GET /api/schedules' spend read sums each span's window from the covering index alone", async () => {
    const s = await makeSchedule();
    await makeTask({ scheduleId: s.id, status: "completed", finishedAt: T0, costUsd: 1, inputTokens: 10, outputTokens: 1 });
    const c = getDb().$client;
    // As the app runs (no statistics), then with bench:history's (1,036,944 rollup rows of 1,000
    // schedules: the primary key's schedule prefix is what a skip-scan would walk).
    for (const stats of ["none", "bench:history"]) {
      if (stats !== "none") {
        c.exec("ANALYZE");
        c.exec("DELETE FROM sqlite_stat1 WHERE tbl = 'schedule_usage_rollups'");
        c.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('schedule_usage_rollups', ?, ?)").run("sqlite_autoindex_schedule_usage_rollups_1", "1036944 1037 346 1");
        c.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('schedule_usage_rollups', ?, ?)").run("schedule_usage_rollups_window_idx", "1036944 345648 3 1 1 1 1 1 1");
        c.exec("ANALYZE sqlite_schema");
      }
      // The list's own read (≤ 50 schedules: by id) and the one for every schedule (the list above 50).
      const sqls = (
        await preparedDuring(async () => {
          await listSchedulesWithLastRun(getDb());
          await selectUsageTotals(getDb(), usageWindows(T0), null);
        })
      ).filter((q) => /from "schedule_usage_rollups"/i.test(q));
      expect(sqls, stats).toHaveLength(8); // 24 h, 7 d, 30 d and all time, twice
      for (const sql of sqls) {
        const steps = (await plan(sql)).join(" | ");
        expect(steps, `${stats} stats: ${sql}`).toMatch(/^SEARCH schedule_usage_rollups USING COVERING INDEX schedule_usage_rollups_window_idx \(span_ms=\?/);
      }
    }
  });

  it("a /api/metrics scrape never reads tasks or schedule_firing_metrics", async () => {
    const s = await makeSchedule();
    await makeTask({ scheduleId: s.id, status: "skipped" });
    const sqls = await preparedDuring(async () => renderPrometheusMetrics(getDb()));
    expect(sqls.length).toBeGreaterThan(0);
    for (const sql of sqls) {
      if (!/\bfrom\s+["`]?(tasks|schedule_firing_metrics)\b/i.test(sql)) continue;
      // The one allowed read: the storage gauge's row estimate, two seeks at the ends of the
      // primary key (MIN/MAX optimization), never a walk of the history.
      expect(sql).toMatch(/^SELECT coalesce\(\(SELECT max\(id\) FROM schedule_firing_metrics\) - \(SELECT min\(id\) FROM schedule_firing_metrics\) \+ 1, 0\) AS n$/);
      const steps = (await plan(sql)).join(" | ");
      expect(steps).not.toMatch(/\bSCAN schedule_firing_metrics\b/);
      expect(steps).toMatch(/SEARCH schedule_firing_metrics/);
    }
  });
});
