/**
 * The history pages' query plans on PostgreSQL (issue 15 item 3, the pg side of
 * test/history-plans.test.ts): with 120,000 analyzed tasks shaped like a history, every task
 * list page (first and row-value cursor `(created_at, id) < (?, ?)`; by status, schedule,
 * both) reads a tasks_* index whose Index Cond holds every filter and the cursor, with no Seq
 * Scan and no sort beyond a page's worth of rows; a /api/metrics scrape reads the maintained
 * counters, never tasks or firing rows. Structural checks of EXPLAIN, not timings.
 */
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { execute } from "@/lib/db/sql";
import { renderPrometheusMetrics } from "@/lib/metrics/prometheus";
import { listTasks } from "@/lib/tasks/queries";
import type { PgDb } from "@/lib/db/pg";

const T0 = Date.UTC(2026, 0, 1);
const N = 120_000;

/** The statements (text and parameters) sent to the pool while `fn` runs. */
async function queriesDuring(fn: () => Promise<unknown>): Promise<{ text: string; values: unknown[] }[]> {
  const pool = (getDb() as unknown as PgDb).$client;
  const original = pool.query;
  const seen: { text: string; values: unknown[] }[] = [];
  pool.query = function (this: unknown, ...args: unknown[]) {
    const [q, v] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    if (typeof q === "string") seen.push({ text: q, values: v ?? [] });
    else seen.push({ text: q.text, values: v ?? q.values ?? [] });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pool.query;
  try {
    await fn();
  } finally {
    pool.query = original;
  }
  return seen;
}

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  "Plan Rows": number;
  Plans?: PlanNode[];
}

async function plan(q: { text: string; values: unknown[] }): Promise<PlanNode> {
  const pool = (getDb() as unknown as PgDb).$client;
  const res = await pool.query(`EXPLAIN (FORMAT JSON) ${q.text}`, q.values);
  return (res.rows[0]["QUERY PLAN"] as { Plan: PlanNode }[])[0].Plan;
}

function nodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(nodes)];
}

describe("history query plans (PostgreSQL)", () => {
  beforeAll(async () => {
    const db = getDb();
    // 101 schedules, one task per ms; a history's shape: mostly completed, 2 % failed, some skipped. The counter triggers are off for the bulk
    // load (per-row delta bookkeeping would take minutes; only plans are checked here).
    await execute(db, sql`ALTER TABLE tasks DISABLE TRIGGER USER`);
    await execute(
      db,
      sql`INSERT INTO tasks (id, schedule_id, status, title, prompt, source_type, max_turns, created_at)
          SELECT 't' || lpad(i::text, 7, '0'), 's' || (i % 101),
                 CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 7 = 0 THEN 'skipped' ELSE 'completed' END,
                 't', 'p', 'scheduled', 5, ${T0}::bigint + i
          FROM generate_series(1, ${N}) AS i`,
    );
    await execute(db, sql`ALTER TABLE tasks ENABLE TRIGGER USER`);
    await execute(db, sql`ANALYZE tasks`);
  }, 120_000);

  it("every task list page (first and cursor; by status, schedule, both) is an index scan holding all its filters, with no sort", async () => {
    const db = getDb();
    const first = await listTasks(db, { limit: 50 });
    expect(first.tasks).toHaveLength(50);
    // A deep cursor: the middle of the history.
    const cursor = Buffer.from(`${T0 + N / 2}:t${String(N / 2).padStart(7, "0")}`).toString("base64url");
    const shapes = [
      {},
      { before: cursor },
      { status: "failed" as const },
      { status: "failed" as const, before: cursor },
      { scheduleId: "s7" },
      { scheduleId: "s7", before: cursor },
      { scheduleId: "s7", status: "failed" as const },
      { scheduleId: "s7", status: "failed" as const, before: cursor },
    ];
    for (const shape of shapes) {
      const label = JSON.stringify(shape);
      const page = await listTasks(db, { limit: 50, ...shape });
      expect(page.tasks.length, label).toBeGreaterThan(0);
      const qs = (await queriesDuring(async () => listTasks(db, { limit: 50, ...shape }))).filter((q) => /from "tasks"/i.test(q.text));
      expect(qs, label).toHaveLength(1);
      const all = nodes(await plan(qs[0]));
      const types = all.map((n) => n["Node Type"]);
      expect(types, label).not.toContain("Seq Scan");
      // A sort only of what fits in a page (PostgreSQL sorts a handful of bitmap-scanned rows
      // rather than walk the index backwards), never of the matching history.
      for (const sort of all.filter((n) => n["Node Type"] === "Sort")) {
        for (const child of sort.Plans ?? []) expect(child["Plan Rows"], label).toBeLessThanOrEqual(51);
      }
      const scan = all.find((n) => /Index (Only )?Scan/.test(n["Node Type"]));
      expect(scan?.["Index Name"], label).toMatch(/^tasks_/);
      const cond = scan?.["Index Cond"] ?? "";
      if ("status" in shape) expect(cond, label).toContain("status =");
      if ("scheduleId" in shape) expect(cond, label).toContain("schedule_id =");
      if ("before" in shape) expect(cond, label).toMatch(/ROW\(created_at, id\) < ROW/);
      expect(scan?.Filter ?? "", label).toBe("");
    }
  });

  it("a /api/metrics scrape never reads tasks or schedule_firing_metrics", async () => {
    const qs = await queriesDuring(async () => renderPrometheusMetrics(getDb()));
    expect(qs.length).toBeGreaterThan(0);
    for (const q of qs) expect(q.text).not.toMatch(/\bfrom\s+["`]?(tasks|schedule_firing_metrics)\b/i);
  });
});
