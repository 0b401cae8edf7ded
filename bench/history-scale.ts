/**
 * History at a million tasks (issue 15 item 3): builds a realistic 1,000,000-task SQLite
 * file (1,000 schedules, a mix of statuses, retries, agent events, firing metrics and the
 * audit log) and times every list page, the dashboard's data calls and GET /api/metrics
 * through the real route handlers, prints EXPLAIN QUERY PLAN for every statement they run,
 * and the bytes per task on disk by table/index (dbstat). Not a test: it prints figures for
 * docs/benchmarks.md.
 *
 *   npm run bench:history                          (≈ 3–5 min: build ≈ 2 min, then timings)
 *   HISTORY_DATA_DIR=/tmp/h npm run bench:history  (keeps the file there and reuses it next
 *                                                   time: pending migrations apply on open)
 *
 * Targets: every list page p95 < 50 ms; /api/metrics p95 < 100 ms; dashboard calls p95 < 100 ms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";

const keepDir = process.env.HISTORY_DATA_DIR;
const dataDir = keepDir ? path.resolve(keepDir) : fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-history-"));
fs.mkdirSync(dataDir, { recursive: true });
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");

const N_TASKS = Number(process.env.HISTORY_TASKS ?? 1_000_000);
const N_SCHEDULES = 1_000;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SPAN_MS = 365 * 86_400_000;

/** Deterministic PRNG (mulberry32), so two builds hold the same history. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const fmt = (n: number, d = 1) => n.toFixed(d);
const words = "the agent checked the repository summarized open issues wrote a report updated dependencies found two failing tests and opened a pull request".split(" ");
const text = (r: () => number, n: number) => Array.from({ length: n }, () => words[Math.floor(r() * words.length)]).join(" ");

async function build() {
  const { getDb } = await import("../src/lib/db/client");
  const db = getDb();
  const c = db.$client;
  c.pragma("synchronous = OFF");
  const r = rng(42);
  const t0 = performance.now();

  // Schedules: 10 busy ones (per-minute class) hold 30 % of the history, the rest share it evenly.
  const scheduleIds: string[] = [];
  const prompts: string[] = [];
  const insSchedule = c.prepare(
    `INSERT INTO schedules (id, name, prompt, cron_expression, timezone, status, max_attempts, overlap_policy, catch_up_policy, catch_up_window_sec,
       firing_count, next_fire_at, last_planned_at, last_fired_at, failure_streak, turn_budget_breach_streak, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'UTC', ?, 3, 'skip', 'latest', 3600, ?, ?, ?, ?, 0, 0, ?, ?)`,
  );
  const insEvent = c.prepare("INSERT INTO events (kind, schedule_id, task_id, message, data, created_at) VALUES (?, ?, ?, ?, ?, ?)");
  c.transaction(() => {
    for (let i = 0; i < N_SCHEDULES; i++) {
      const id = randomUUID();
      const prompt = `Schedule ${i}: ${text(r, 30)}`;
      scheduleIds.push(id);
      prompts.push(prompt);
      const created = NOW - SPAN_MS - 86_400_000 + i * 1000;
      const cron = i < 10 ? "* * * * *" : `${i % 60} ${i % 24} * * *`;
      insSchedule.run(id, `schedule-${i}`, prompt, cron, i % 20 === 19 ? "paused" : "active", 1000, NOW + 60_000 + i * 1000, NOW, NOW - 1000, created, created);
      insEvent.run("schedule_created", id, null, `Created schedule-${i}`, null, created);
    }
  })();

  const insTask = c.prepare(
    `INSERT INTO tasks (id, schedule_id, runtime_id, title, prompt, status, source_type, planned_at, attempt, max_attempts, parent_task_id, max_turns,
       turn_count, slot_claimed_at, runner_id, started_at, finished_at, failure_reason, error, result, session_id, skipped_reason, forced,
       input_tokens, output_tokens, cost_usd, created_at)
     VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, 3, ?, 20, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
  );
  const insTaskEvent = c.prepare("INSERT INTO task_events (task_id, type, payload, created_at) VALUES (?, ?, ?, ?)");
  const insMetric = c.prepare(
    `INSERT INTO schedule_firing_metrics (schedule_id, task_id, fired_at, planned_at, slot_claimed_at, completed_at, lateness_ms, slot_wait_ms,
       duration_ms, turn_count, max_turns_at_firing, event_loop_lag_ms, peak_rss_mb, chat_streams_active, concurrent_schedules, failure_reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 20, ?, ?, 0, ?, ?)`,
  );
  const step = SPAN_MS / N_TASKS;
  const start = NOW - SPAN_MS;
  const lastFailed = new Map<string, string>();
  const runner = randomUUID();
  const BATCH = 20_000;
  for (let b = 0; b < N_TASKS; b += BATCH) {
    c.transaction(() => {
      for (let i = b; i < Math.min(N_TASKS, b + BATCH); i++) {
        const created = Math.floor(start + i * step + r() * 1000);
        const si = r() < 0.3 ? Math.floor(r() * 10) : 10 + Math.floor(r() * (N_SCHEDULES - 10));
        const sid = scheduleIds[si];
        const id = randomUUID();
        const tail = N_TASKS - i;
        let source = "scheduled";
        let parent: string | null = null;
        let attempt = 1;
        const u = r();
        if (u < 0.03 && lastFailed.has(sid)) {
          source = "retry";
          parent = lastFailed.get(sid)!;
          attempt = 2;
          lastFailed.delete(sid);
        } else if (u < 0.07) source = "manual";
        const planned = source === "scheduled" ? created - Math.floor(r() * 500) : null;
        let status: string;
        const v = r();
        if (tail <= 5) status = "running";
        else if (tail <= 20) status = "queued";
        else if (source === "scheduled" && v < 0.05) status = "skipped";
        else if (v < 0.11) status = "failed";
        else if (v < 0.13) status = "cancelled";
        else status = "completed";
        const ran = status !== "skipped" && status !== "queued";
        const claimed = ran ? created + Math.floor(r() * 200) : null;
        const turns = ran ? 1 + Math.floor(r() * 12) : 0;
        const finished = ran && status !== "running" ? claimed! + 5_000 + Math.floor(r() * 120_000) : null;
        const failure = status === "failed" ? (r() < 0.5 ? "agent_error" : "lease_expired") : status === "cancelled" ? "aborted" : null;
        if (status === "failed" && failure === "lease_expired") lastFailed.set(sid, id);
        insTask.run(
          id, sid, `schedule-${si}`, prompts[si], status, source, planned, attempt, parent, turns, claimed, ran ? runner : null, claimed, finished,
          failure, status === "failed" ? `Agent exited with code 1: ${text(r, 12)}` : null, status === "completed" ? text(r, 60) : null,
          ran ? randomUUID() : null, status === "skipped" ? "overlap" : null, ran ? 2000 + Math.floor(r() * 20_000) : null,
          ran ? 200 + Math.floor(r() * 3000) : null, ran ? Math.round(r() * 5000) / 100_000 : null, created,
        );
        if (ran) {
          insTaskEvent.run(id, "session", JSON.stringify({ type: "session", sessionId: "s" }), claimed);
          insTaskEvent.run(id, "assistant", JSON.stringify({ type: "assistant", text: text(r, 25) }), claimed! + 2000);
          if (finished) insTaskEvent.run(id, "result", JSON.stringify({ type: "result", turns, isError: status !== "completed" }), finished);
        }
        // The loop prunes firing metrics older than 30 days (METRICS_RETENTION_MS): keep what it keeps.
        if (finished && source !== "manual" && created >= NOW - 30 * 86_400_000) {
          const lateness = Math.floor(r() < 0.97 ? r() * 40 : r() * 5000);
          insMetric.run(sid, id, claimed, planned, claimed, finished, lateness, r() < 0.9 ? 0 : Math.floor(r() * 60_000), finished - claimed!, turns, r() * 5, 150 + r() * 100, 1 + Math.floor(r() * 5), failure);
        }
        if (source === "retry") insEvent.run("task_retried", sid, id, "Retrying after lease_expired (attempt 2 of 3)", JSON.stringify({ attempt: 2 }), created);
        if (failure === "lease_expired") insEvent.run("lease_expired", sid, id, "Lease expired; the run was killed", null, finished);
        if (i % 3000 === 0) insEvent.run("missed_occurrences", sid, null, "3 occurrences missed", JSON.stringify({ count: 3 }), created);
      }
    })();
    if ((b / BATCH) % 10 === 9) process.stdout.write(`  built ${b + BATCH} tasks, ${fmt((performance.now() - t0) / 1000, 0)} s\n`);
  }
  c.pragma("synchronous = NORMAL");
  c.exec("ANALYZE");
  c.pragma("wal_checkpoint(TRUNCATE)");
  console.log(`Built ${N_TASKS} tasks in ${fmt((performance.now() - t0) / 1000, 0)} s`);
}

async function main() {
  const file = path.join(dataDir, "agentcron.db");
  if (!fs.existsSync(file)) await build();
  else console.log(`Reusing ${file}`);

  const { getDb } = await import("../src/lib/db/client");
  const { callRoute } = await import("../test/http");
  const tOpen = performance.now();
  const db = getDb();
  const c = db.$client;
  console.log(`Opened and migrated in ${fmt((performance.now() - tOpen) / 1000, 1)} s`);
  // The build ran ANALYZE; an index a migration (re)created since has no statistics, and a
  // half-analyzed schema misleads the planner. Re-analyze so before and after both plan with
  // full statistics (plans without any statistics, as the app runs, are test/history-plans.test.ts's).
  const unanalyzed = c.prepare("SELECT count(*) FROM sqlite_master m WHERE m.type = 'index' AND m.tbl_name = 'tasks' AND m.name NOT IN (SELECT idx FROM sqlite_stat1 WHERE tbl = 'tasks')").pluck().get() as number;
  if (unanalyzed > 0) {
    const tA = performance.now();
    c.exec("ANALYZE tasks");
    console.log(`${unanalyzed} task index(es) without statistics: ANALYZE tasks took ${fmt((performance.now() - tA) / 1000, 1)} s`);
  }
  const counts = c.prepare("SELECT (SELECT count(*) FROM tasks) AS tasks, (SELECT count(*) FROM task_events) AS taskEvents, (SELECT count(*) FROM schedule_firing_metrics) AS metrics, (SELECT count(*) FROM events) AS events").get() as Record<string, number>;
  console.log(`Rows: ${JSON.stringify(counts)}`);

  const routes = {
    tasks: (await import("../src/app/api/tasks/route")).GET,
    schedules: (await import("../src/app/api/schedules/route")).GET,
    scheduleTasks: (await import("../src/app/api/schedules/[id]/tasks/route")).GET,
    scheduleEvents: (await import("../src/app/api/schedules/[id]/events/route")).GET,
    scheduleMetrics: (await import("../src/app/api/schedules/[id]/metrics/route")).GET,
    status: (await import("../src/app/api/scheduler/status/route")).GET,
    metrics: (await import("../src/app/api/metrics/route")).GET,
  };

  const cursorAt = (where: string, offset: number, ...args: unknown[]) => {
    const row = c.prepare(`SELECT created_at AS t, id FROM tasks ${where} ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`).get(...args, offset) as { t: number; id: string };
    return Buffer.from(`${row.t}:${row.id}`).toString("base64url");
  };
  const busy = (c.prepare("SELECT schedule_id AS id, count(*) AS n FROM tasks GROUP BY schedule_id ORDER BY n DESC LIMIT 1").get() as { id: string; n: number });
  const quiet = (c.prepare("SELECT schedule_id AS id, count(*) AS n FROM tasks GROUP BY schedule_id ORDER BY n ASC LIMIT 1").get() as { id: string; n: number });
  const nFailed = (c.prepare("SELECT count(*) AS n FROM tasks WHERE status = 'failed'").get() as { n: number }).n;
  const deep = cursorAt("", Math.min(499_999, Math.floor(counts.tasks / 2)));
  const deepBusy = cursorAt("WHERE schedule_id = ?", Math.floor(busy.n / 2), busy.id);
  const deepFailed = cursorAt("WHERE status = 'failed'", Math.floor(nFailed / 2));

  type Case = { name: string; kind: "list" | "dashboard" | "metrics"; handler: unknown; path: string; params?: Record<string, string> };
  const cases: Case[] = [
    { name: "GET /api/tasks (first page, 50)", kind: "list", handler: routes.tasks, path: "/api/tasks" },
    { name: "GET /api/tasks deep cursor (row 500,000)", kind: "list", handler: routes.tasks, path: `/api/tasks?before=${deep}` },
    { name: "GET /api/tasks?status=failed (first page)", kind: "list", handler: routes.tasks, path: "/api/tasks?status=failed" },
    { name: `GET /api/tasks?status=failed deep (row ${Math.floor(nFailed / 2)})`, kind: "list", handler: routes.tasks, path: `/api/tasks?status=failed&before=${deepFailed}` },
    { name: "GET /api/tasks?status=queued", kind: "list", handler: routes.tasks, path: "/api/tasks?status=queued" },
    { name: `GET /api/tasks?scheduleId= (busy, ${busy.n} tasks)`, kind: "list", handler: routes.tasks, path: `/api/tasks?scheduleId=${busy.id}` },
    { name: `GET /api/tasks?scheduleId=&status=failed (busy)`, kind: "list", handler: routes.tasks, path: `/api/tasks?scheduleId=${busy.id}&status=failed` },
    { name: `GET /api/tasks?scheduleId= (quiet, ${quiet.n} tasks)`, kind: "list", handler: routes.tasks, path: `/api/tasks?scheduleId=${quiet.id}` },
    { name: "GET /api/schedules/:id/tasks (run history, 25)", kind: "list", handler: routes.scheduleTasks, path: `/api/schedules/${busy.id}/tasks?limit=25`, params: { id: busy.id } },
    { name: `GET /api/schedules/:id/tasks deep (row ${Math.floor(busy.n / 2)})`, kind: "list", handler: routes.scheduleTasks, path: `/api/schedules/${busy.id}/tasks?limit=25&before=${deepBusy}`, params: { id: busy.id } },
    { name: "GET /api/schedules/:id/events", kind: "list", handler: routes.scheduleEvents, path: `/api/schedules/${busy.id}/events`, params: { id: busy.id } },
    { name: "GET /api/schedules/:id/metrics (30 days)", kind: "list", handler: routes.scheduleMetrics, path: `/api/schedules/${busy.id}/metrics`, params: { id: busy.id } },
    { name: `GET /api/schedules (${N_SCHEDULES})`, kind: "dashboard", handler: routes.schedules, path: "/api/schedules" },
    { name: "GET /api/scheduler/status", kind: "dashboard", handler: routes.status, path: "/api/scheduler/status" },
    { name: "GET /api/tasks?status=failed&limit=5 (dashboard)", kind: "dashboard", handler: routes.tasks, path: "/api/tasks?status=failed&limit=5" },
    { name: "GET /api/tasks?limit=30 (dashboard)", kind: "dashboard", handler: routes.tasks, path: "/api/tasks?limit=30" },
    { name: "GET /api/metrics", kind: "metrics", handler: routes.metrics, path: "/api/metrics" },
  ];
  const target = { list: 50, dashboard: 100, metrics: 100 };

  // Capture every statement a route runs (SQL + bound values) for EXPLAIN QUERY PLAN.
  const proto = Object.getPrototypeOf(c.prepare("SELECT 1")) as Record<string, (...a: unknown[]) => unknown>;
  let capture: { sql: string; args: unknown[] }[] | null = null;
  for (const m of ["all", "get", "iterate", "run"]) {
    const orig = proto[m];
    proto[m] = function (this: { source: string }, ...args: unknown[]) {
      if (capture && !capture.some((s) => s.sql === this.source)) capture.push({ sql: this.source, args });
      return orig.apply(this, args);
    };
  }

  const rows: string[] = [];
  const plans: string[] = [];
  for (const k of cases) {
    capture = [];
    const first = await callRoute(k.handler, k.path, { params: k.params });
    const stmts = capture;
    capture = null;
    if (first.status !== 200) throw new Error(`${k.name}: ${first.status} ${first.text.slice(0, 200)}`);
    for (let i = 0; i < 3; i++) await callRoute(k.handler, k.path, { params: k.params });
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 200 && (times.length < 15 || performance.now() - t0 < 10_000)) {
      const t = performance.now();
      await callRoute(k.handler, k.path, { params: k.params });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const p95 = pct(times, 95);
    rows.push(`| ${k.name} | ${times.length} | ${fmt(pct(times, 50), 2)} | ${fmt(p95, 2)} | < ${target[k.kind]} ms ${p95 < target[k.kind] ? "✔" : "✘"} |`);
    plans.push(`\n### ${k.name}`);
    for (const s of stmts) {
      const plan = c.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.args) as { detail: string }[];
      plans.push(`  ${s.sql.replace(/\s+/g, " ").slice(0, 160)}${s.sql.length > 160 ? "…" : ""}`);
      for (const p of plan) plans.push(`    → ${p.detail}${/^SCAN (?!.*USING)|TEMP B-TREE/.test(p.detail) ? "   ⚠" : ""}`);
    }
    process.stdout.write(`  ${rows[rows.length - 1]}\n`);
  }

  console.log("\nEXPLAIN QUERY PLAN (⚠ = a full scan or a sort)");
  console.log(plans.join("\n"));

  // Bytes on disk per task, by table/index.
  c.pragma("wal_checkpoint(TRUNCATE)");
  const size = fs.statSync(file).size;
  const bySize = c.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC").all() as { name: string; bytes: number }[];
  console.log(`\nFile ${fmt(size / 2 ** 20, 0)} MiB for ${counts.tasks} tasks = ${fmt(size / counts.tasks, 0)} bytes per task`);
  console.log("| table / index | MiB | bytes per task | share |\n|---|---|---|---|");
  for (const t of bySize.slice(0, 20)) console.log(`| ${t.name} | ${fmt(t.bytes / 2 ** 20, 1)} | ${fmt(t.bytes / counts.tasks, 0)} | ${fmt((100 * t.bytes) / size, 1)} % |`);

  console.log(`\nMachine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(" / ")}\n`);
  console.log("| Call | calls | p50 ms | p95 ms | target |\n|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  if (!keepDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  if (!keepDir) fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
