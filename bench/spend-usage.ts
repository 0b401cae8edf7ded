/**
 * Spend reads at scale (issue 11 item 3): how much the usage totals of the schedule list, the
 * fire-time cost-cap check (BudgetGate) and /api/metrics cost with a big history, against
 * the rejected design (SUM over tasks through an index on (schedule_id, finished_at)).
 * SQLite; 200 schedules, 30 days: one busy schedule with a finished task every 10 s
 * (259 200 tasks) and 199 hourly ones (142 560 tasks), all with usage, inserted through the
 * real triggers. Not a test: prints figures for docs/benchmarks.md.
 *
 *   npm run bench:spend
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-spend-"));
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const DAY = 86_400_000;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function time(label: string, n: number, fn: () => Promise<unknown> | unknown) {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} p50 ${pct(samples, 50).toFixed(2)} ms  p95 ${pct(samples, 95).toFixed(2)} ms`);
}

async function main() {
  const { getDb } = await import("../src/lib/db/client");
  const { withScheduleUsage } = await import("../src/lib/budgets/usage");
  const { BudgetGate } = await import("../src/lib/budgets/fire-gate");
  const { renderPrometheusMetrics } = await import("../src/lib/metrics/prometheus");
  const { withTransaction } = await import("../src/lib/db/client");
  const db = getDb();
  const c = db.$client;
  c.pragma("synchronous = OFF");

  const ids = Array.from({ length: 200 }, () => randomUUID());
  const insS = c.prepare(
    `INSERT INTO schedules (id, name, prompt, cron_expression, timezone, status, max_attempts, overlap_policy, catch_up_policy, catch_up_window_sec,
       firing_count, failure_streak, turn_budget_breach_streak, max_cost_usd_24h, created_at, updated_at)
     VALUES (?, ?, 'p', '0 * * * *', 'UTC', 'active', 3, 'skip', 'latest', 3600, 0, 0, 0, ?, ?, ?)`,
  );
  const insT = c.prepare(
    `INSERT INTO tasks (id, schedule_id, title, prompt, status, source_type, root_source_type, planned_at, attempt, max_attempts, max_turns, turn_count,
       started_at, finished_at, input_tokens, output_tokens, cost_usd, forced, created_at)
     VALUES (?, ?, 't', 'p', 'completed', 'scheduled', 'scheduled', ?, 1, 1, 100, 3, ?, ?, 1200, 300, ?, 0, ?)`,
  );
  const t0 = performance.now();
  let n = 0;
  c.transaction(() => {
    ids.forEach((id, i) => insS.run(id, `s${i}`, i < 10 ? 50 : null, NOW - 40 * DAY, NOW - 40 * DAY));
    for (let at = NOW - 30 * DAY; at < NOW; at += 10_000, n++) insT.run(randomUUID(), ids[0], at, at, at + 5_000, 0.004, at);
    for (const id of ids.slice(1)) for (let at = NOW - 30 * DAY; at < NOW; at += 3_600_000, n++) insT.run(randomUUID(), id, at, at, at + 60_000, 0.02, at);
  })();
  const insertMs = performance.now() - t0;
  const rollupRows = (c.prepare("SELECT count(*) AS n FROM schedule_usage_rollups").get() as { n: number }).n;
  console.log(`${n} finished tasks inserted through the triggers in ${(insertMs / 1000).toFixed(1)} s (${((insertMs * 1000) / n).toFixed(1)} µs/task); ${rollupRows} rollup rows`);

  const dtos = ids.map((id) => ({ id }) as never);
  await time("list usage, 200 schedules (one grouped query on rollups)", 50, () => withScheduleUsage(db, dtos, NOW));
  await time("list usage, 1 schedule (the busy one)", 50, () => withScheduleUsage(db, [dtos[0]], NOW));
  await time("fire-time BudgetGate, 10 capped schedules (in a transaction)", 50, () => withTransaction(db, (tx) => BudgetGate.build(tx, ids.slice(0, 10), NOW)));
  await time("GET /api/metrics body", 20, () => renderPrometheusMetrics(db));

  // The rejected design: sums over tasks through an index on (schedule_id, finished_at).
  c.exec("CREATE INDEX bench_tasks_schedule_finished ON tasks (schedule_id, finished_at, cost_usd, input_tokens, output_tokens)");
  const sumQ = c.prepare(
    `SELECT schedule_id, sum(CASE WHEN finished_at >= ? THEN cost_usd ELSE 0 END), sum(CASE WHEN finished_at >= ? THEN cost_usd ELSE 0 END), sum(cost_usd), sum(input_tokens), sum(output_tokens)
     FROM tasks WHERE schedule_id IS NOT NULL AND finished_at >= ? GROUP BY schedule_id`,
  );
  await time("rejected: SUM over tasks (covering index), 200 schedules", 10, () => sumQ.all(NOW - DAY, NOW - 7 * DAY, NOW - 30 * DAY));
  const oneQ = c.prepare(`SELECT sum(cost_usd) FROM tasks WHERE schedule_id = ? AND finished_at >= ?`);
  await time("rejected: SUM over tasks, busy schedule, 24 h (per firing)", 20, () => oneQ.get(ids[0], NOW - DAY));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

void main();
