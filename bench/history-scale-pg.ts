/**
 * History at a million tasks on PostgreSQL (issue 15 item 3 on the pg dialect, issue 14
 * item 7): loads 1,000,000 tasks into a throwaway database (1,000 schedules, 10 busy ones
 * holding 30 % of the history; mostly completed, 3 % failed, 8 % skipped), then times the
 * task list pages (first and deep row-value cursor; by status, by schedule, both) and
 * GET /api/metrics through the real route handlers, and prints EXPLAIN for each statement.
 * Not a test: figures for docs/benchmarks.md.
 *
 *   npm run bench:history:pg       (≈ 1–2 min; uses AGENTCRON_TEST_PG_URL, an admin URL)
 *
 * The counter triggers are disabled during the bulk load and the counters recomputed after
 * (as migration 0001 backfills them): the per-row delta bookkeeping is for the app's
 * transactions, not for a million-row INSERT … SELECT.
 */
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { createTestPgDatabase, dropTestPgDatabase } from "../test/support/pg-test-db";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
const N_TASKS = Number(process.env.HISTORY_TASKS ?? 1_000_000);
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SPAN_MS = 365 * 86_400_000;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const fmt = (n: number, d = 1) => n.toFixed(d);

async function main() {
  const database = await createTestPgDatabase();
  process.env.DATABASE_URL = database.url;
  try {
    const { getDb, dbReady, closeDb } = await import("../src/lib/db/client");
    const { execute, rows } = await import("../src/lib/db/sql");
    const { callRoute } = await import("../test/http");
    await dbReady();
    const db = getDb();
    const pool = (db as unknown as { $client: import("pg").Pool }).$client;
    const t0 = performance.now();
    await execute(db, sql`ALTER TABLE tasks DISABLE TRIGGER USER`);
    // Task i: schedule busy (i % 10 = 0 → one of 10 busy schedules, 30 %) or one of 990 others.
    await execute(
      db,
      sql`INSERT INTO tasks (id, schedule_id, status, title, prompt, source_type, root_source_type, max_turns, planned_at, created_at, started_at, finished_at)
          SELECT md5(i::text), CASE WHEN i % 10 < 3 THEN 's' || (i % 10) || (i / 10 % 10) ELSE 's' || (10 + i % 990) END,
                 CASE WHEN i % 100 < 3 THEN 'failed' WHEN i % 100 < 11 THEN 'skipped' ELSE 'completed' END,
                 'Nightly report', 'Summarize the open issues of the repository and write a report', 'scheduled', 'scheduled', 10,
                 ${NOW - SPAN_MS}::bigint + i::bigint * ${Math.floor(SPAN_MS / N_TASKS)}, ${NOW - SPAN_MS}::bigint + i::bigint * ${Math.floor(SPAN_MS / N_TASKS)} + 5,
                 ${NOW - SPAN_MS}::bigint + i::bigint * ${Math.floor(SPAN_MS / N_TASKS)} + 20, ${NOW - SPAN_MS}::bigint + i::bigint * ${Math.floor(SPAN_MS / N_TASKS)} + 60000
          FROM generate_series(1, ${N_TASKS}) AS i`,
    );
    await execute(db, sql`ALTER TABLE tasks ENABLE TRIGGER USER`);
    await execute(db, sql`DELETE FROM task_status_counts`);
    await execute(db, sql`DELETE FROM schedule_task_counts`);
    await execute(db, sql`INSERT INTO task_status_counts (status, n) SELECT status, count(*) FROM tasks GROUP BY status`);
    await execute(db, sql`INSERT INTO schedule_task_counts (status, schedule_id, n) SELECT status, schedule_id, count(*) FROM tasks WHERE schedule_id IS NOT NULL GROUP BY schedule_id, status`);
    await execute(db, sql`VACUUM ANALYZE tasks`);
    console.log(`Loaded ${N_TASKS} tasks in ${fmt((performance.now() - t0) / 1000, 0)} s`);

    const routes = {
      tasks: (await import("../src/app/api/tasks/route")).GET,
      metrics: (await import("../src/app/api/metrics/route")).GET,
    };
    const cursorAt = async (where: ReturnType<typeof sql>, offset: number) => {
      const [r] = await rows<{ t: number; id: string }>(db, sql`SELECT created_at AS "t", id FROM tasks ${where} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ${offset}`);
      return Buffer.from(`${r.t}:${r.id}`).toString("base64url");
    };
    const [busy] = await rows<{ id: string; n: number }>(db, sql`SELECT schedule_id AS "id", count(*) AS "n" FROM tasks GROUP BY schedule_id ORDER BY 2 DESC LIMIT 1`);
    const [{ n: nFailed }] = await rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM tasks WHERE status = 'failed'`);
    const deep = await cursorAt(sql``, Math.floor(N_TASKS / 2));
    const deepBusy = await cursorAt(sql`WHERE schedule_id = ${busy.id}`, Math.floor(busy.n / 2));
    const deepFailed = await cursorAt(sql`WHERE status = 'failed'`, Math.floor(nFailed / 2));
    const cases: { name: string; handler: unknown; path: string; target: number }[] = [
      { name: "GET /api/tasks (first page, 50)", handler: routes.tasks, path: "/api/tasks", target: 50 },
      { name: `GET /api/tasks deep cursor (row ${N_TASKS / 2})`, handler: routes.tasks, path: `/api/tasks?before=${deep}`, target: 50 },
      { name: "GET /api/tasks?status=failed (first page)", handler: routes.tasks, path: "/api/tasks?status=failed", target: 50 },
      { name: `GET /api/tasks?status=failed deep (row ${Math.floor(nFailed / 2)})`, handler: routes.tasks, path: `/api/tasks?status=failed&before=${deepFailed}`, target: 50 },
      { name: `GET /api/tasks?scheduleId= (busy, ${busy.n} tasks)`, handler: routes.tasks, path: `/api/tasks?scheduleId=${busy.id}`, target: 50 },
      { name: `GET /api/tasks?scheduleId= deep (row ${Math.floor(busy.n / 2)})`, handler: routes.tasks, path: `/api/tasks?scheduleId=${busy.id}&before=${deepBusy}`, target: 50 },
      { name: "GET /api/tasks?scheduleId=&status=failed (busy)", handler: routes.tasks, path: `/api/tasks?scheduleId=${busy.id}&status=failed`, target: 50 },
      { name: "GET /api/metrics", handler: routes.metrics, path: "/api/metrics", target: 100 },
    ];
    // Capture every statement a route sends (text + values) for EXPLAIN.
    const original = pool.query;
    let capture: { text: string; values: unknown[] }[] | null = null;
    pool.query = function (this: unknown, ...args: unknown[]) {
      const [q, v] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
      if (capture) capture.push(typeof q === "string" ? { text: q, values: v ?? [] } : { text: q.text, values: v ?? q.values ?? [] });
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof pool.query;
    const table: string[] = [];
    const plans: string[] = [];
    for (const k of cases) {
      capture = [];
      const first = await callRoute(k.handler, k.path);
      const stmts = capture;
      capture = null;
      if (first.status !== 200) throw new Error(`${k.name}: ${first.status} ${first.text.slice(0, 200)}`);
      for (let i = 0; i < 3; i++) await callRoute(k.handler, k.path);
      const times: number[] = [];
      const tStart = performance.now();
      while (times.length < 200 && (times.length < 15 || performance.now() - tStart < 8_000)) {
        const t = performance.now();
        await callRoute(k.handler, k.path);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const p95 = pct(times, 95);
      table.push(`| ${k.name} | ${times.length} | ${fmt(pct(times, 50), 2)} | ${fmt(p95, 2)} | < ${k.target} ms ${p95 < k.target ? "✔" : "✘"} |`);
      process.stdout.write(`  ${table[table.length - 1]}\n`);
      plans.push(`\n### ${k.name}`);
      for (const s of stmts) {
        const res = await (original as (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>).call(pool, `EXPLAIN ${s.text}`, s.values);
        plans.push(`  ${s.text.replace(/\s+/g, " ").slice(0, 160)}${s.text.length > 160 ? "…" : ""}`);
        for (const r of res.rows as { "QUERY PLAN": string }[]) plans.push(`    ${r["QUERY PLAN"]}${/Seq Scan on tasks|Sort  \(cost=\d+\.\d+\.\.\d+\.\d+ rows=\d{3,}/.test(r["QUERY PLAN"]) ? "   ⚠" : ""}`);
      }
    }
    pool.query = original;
    console.log("\nEXPLAIN (⚠ = a scan of tasks or a sort of more than a page)");
    console.log(plans.join("\n"));
    console.log(`\nMachine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(" / ")}\n`);
    console.log("| Call | calls | p50 ms | p95 ms | target |\n|---|---|---|---|---|");
    for (const r of table) console.log(r);
    await closeDb();
  } finally {
    await dropTestPgDatabase(database);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
