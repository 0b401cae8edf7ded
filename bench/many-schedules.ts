/**
 * 100,000 active schedules on one process (issue 15 item 4): the real scheduler loop on the
 * system clock with real timers and a real SQLite file (temp dir), the in-repo test runtime
 * (instant runs) so the figures are the scheduler's own. Not a test: it prints figures for
 * docs/benchmarks.md.
 *
 *   npm run bench:many-schedules        (≈ 2.5 min)
 *
 * Phase 1, idle: 100,000 daily schedules, none due in the next two hours; one minute of the
 *   loop (heartbeats, wakes, passes). Phase 2, steady: 100,000 daily schedules spread over the
 *   1,440 minutes of the day (≈ 69 firings a minute); one minute. Each phase: process CPU
 *   (`process.cpuUsage`), peak RSS (sampled every 250 ms), passes and their cost.
 * Targets: < 5 % of a core, RSS < 300 MB.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-many-"));
process.env.AGENTCRON_DATA_DIR = dataDir;
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");

const N = Number(process.env.MANY_SCHEDULES ?? 100_000);
const MEASURE_MS = Number(process.env.MANY_MEASURE_MS ?? 60_000);
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN);
const fmt = (n: number, d = 1) => n.toFixed(d);
const mib = (b: number) => b / 2 ** 20;

/** Next UTC occurrence of `m h * * *` strictly after `now` (what cron gives for a daily UTC schedule). */
function nextDaily(h: number, m: number, now: number): number {
  const d = new Date(now);
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), h, m);
  if (t <= now) t += 86_400_000;
  return t;
}

async function main() {
  const rss0 = process.memoryUsage().rss;
  const { getDb } = await import("../src/lib/db/client");
  const { quietCollectionStats, summarizeQuietCollections } = await import("../src/lib/scheduler/quiet-collection");
  const { env } = await import("../src/lib/env");
  const { updateSettings } = await import("../src/lib/config/settings");
  const { startScheduler } = await import("../src/lib/scheduler/start");
  const { registerRunner } = await import("../src/lib/scheduler/runner-registry");
  const { systemClock } = await import("../src/lib/time/clock");
  const { TestRuntime, testResolver } = await import("../test/support/test-runtime");
  const db = getDb();
  const c = db.$client;
  await updateSettings({ maxConcurrent: 20 }, Date.now(), db);
  const rssDb = process.memoryUsage().rss;

  const insert = c.prepare(
    `INSERT INTO schedules (id, name, prompt, cron_expression, timezone, status, max_attempts, overlap_policy, catch_up_policy, catch_up_window_sec,
       firing_count, next_fire_at, last_planned_at, failure_streak, turn_budget_breach_streak, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'UTC', 'active', 1, 'skip', 'latest', 3600, 0, ?, ?, 0, 0, ?, ?)`,
  );
  const build = (hourOf: (i: number) => number) => {
    c.exec("DELETE FROM task_events; DELETE FROM schedule_firing_metrics; DELETE FROM events; DELETE FROM tasks; DELETE FROM schedules;");
    const now = Date.now();
    const t = performance.now();
    c.transaction(() => {
      for (let i = 0; i < N; i++) {
        const h = hourOf(i);
        const m = i % 60;
        insert.run(randomUUID(), `schedule-${i}`, `Check item ${i} and report`, `${m} ${h} * * *`, nextDaily(h, m, now), now, now, now);
      }
    })();
    c.exec("ANALYZE");
    return performance.now() - t;
  };

  const results: string[] = [];
  const phase = async (name: string, hourOf: (i: number) => number) => {
    const buildMs = build(hourOf);
    const runtime = new TestRuntime({ turns: 1 });
    const t0 = performance.now();
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()), resolveRuntime: testResolver(runtime) });
    const startMs = performance.now() - t0;
    const passMs: number[] = [];
    const orig = loop.runPass.bind(loop);
    // Passes are async (the data layer): each call is timed until the pass that answers it has
    // ended (runPass resolves with its report), not just its synchronous start.
    loop.runPass = () => {
      const t = performance.now();
      const r = orig();
      void r.then(() => passMs.push(performance.now() - t), () => {});
      return r;
    };
    // Settle the start-up passes: measured from when the last pass armed a wake in the
    // future (nothing left due now) and every run it started has ended.
    for (;;) {
      await loop.idle();
      const last = loop.lastPass;
      if (last && last.armDelayMs > 0 && last.claimed.length === 0) break;
      await new Promise((r) => setImmediate(r));
    }
    passMs.length = 0;
    const fired0 = (c.prepare("SELECT count(*) FROM tasks").pluck().get() as number) + 0;
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
    const quiet0 = quietCollectionStats();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - w0;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const fired = (c.prepare("SELECT count(*) FROM tasks").pluck().get() as number) - fired0;
    const lateness = (c.prepare("SELECT lateness_ms FROM schedule_firing_metrics ORDER BY lateness_ms").pluck().all() as number[]);
    const quiet1 = quietCollectionStats();
    const quiet = summarizeQuietCollections({ collections: quiet1.collections - quiet0.collections, pauseMsTotal: quiet1.pauseMsTotal - quiet0.pauseMsTotal, pauseMsMax: quiet1.pauseMsMax });
    await loop.stop();
    const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
    passMs.sort((a, b) => a - b);
    results.push(
      `| ${name} | ${fmt(cpuPct, 2)} % of a core (${fmt((cpu.user + cpu.system) / 1000, 0)} ms CPU in ${fmt(wall / 1000, 1)} s) | ${fmt(mib(peakRss), 0)} MiB | ${passMs.length} passes: p50 ${fmt(pct(passMs, 50), 2)} ms, p99 ${fmt(pct(passMs, 99), 2)} ms, max ${fmt(passMs.at(-1) ?? NaN, 2)} ms | ${fired} tasks${lateness.length ? `, lateness p50 ${pct(lateness, 50)} / p99 ${pct(lateness, 99)} ms` : ""} | ${quiet.collections} (pause mean ${fmt(quiet.pauseMsMean, 1)} ms, max so far ${fmt(quiet.pauseMsMax, 1)} ms) | build ${fmt(buildMs / 1000, 1)} s, loop start ${fmt(startMs, 0)} ms |`,
    );
    console.log(results.at(-1));
  };

  const hourNow = new Date().getUTCHours();
  await phase(`idle: ${N} daily schedules, none due within 2 h`, (i) => (hourNow + 3 + (i % 19)) % 24);
  await phase(`steady: ${N} daily schedules spread over the day (≈ ${Math.round(N / 1440)} firings/min)`, (i) => Math.floor(i / 60) % 24);

  console.log(`\nMachine: ${os.cpus().length} cores, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg().map((l) => fmt(l, 1)).join(" / ")}`);
  console.log(`RSS: ${fmt(mib(rss0), 0)} MiB at start (tsx), ${fmt(mib(rssDb), 0)} MiB with the code loaded and the DB open\n`);
  console.log(`| Phase | process CPU | peak RSS | passes (call → its pass ended) | fired | quiet-window collections, main thread (ADR 0035, ${env().AGENTCRON_QUIET_COLLECTION}) | setup |\n|---|---|---|---|---|---|---|`);
  for (const r of results) console.log(r);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
});
