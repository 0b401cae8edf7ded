/**
 * The trigger-maintained counters behind GET /api/metrics (issue 15 item 3):
 * task_status_counts, schedule_task_counts and firing_histograms must equal a recount of
 * tasks / schedule_firing_metrics after any mix of writes — the scheduler's own transitions
 * (runs, failures and retries, overlap skips, cancels, deleted schedules), retention-style
 * deletes, and an upgrade of a database that already holds history (the migration backfill).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { asc, eq, inArray, max, min, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, openDatabase, type Db } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { pruneFiringMetrics } from "@/lib/scheduler/firing-metrics";
import { deleteSchedule } from "@/lib/schedules/service";
import { cancelTask } from "@/lib/tasks/cancel";
import { makeSchedule, makeTask, T0, truncateAll } from "./factories";
import { releaseUntilIdle, setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "./support/scheduler-harness";
import { rowsOf } from "./support/rows";
import { waitFor } from "./support/test-runtime";

const MIN = 60_000;
const BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000];

/** Counters as stored (zero rows dropped) and as recounted from the rows themselves, on either dialect. */
async function countersAndRecount(db: Db) {
  const t = tablesOf(db);
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const nonZero = <T extends { n: number }>(list: T[]) => list.filter((r) => r.n !== 0);
  const histogramRows = (await run(db, db.select().from(t.firingHistograms))).sort((a, b) => byKey(a.metric, b.metric) || a.leMs - b.leMs);
  const stored = {
    byStatus: nonZero((await run(db, db.select().from(t.taskStatusCounts))).map((r) => ({ status: r.status, n: r.n }))).sort((a, b) => byKey(a.status, b.status)),
    bySchedule: nonZero((await run(db, db.select().from(t.scheduleTaskCounts))).map((r) => ({ status: r.status, scheduleId: r.scheduleId, n: r.n }))).sort(
      (a, b) => byKey(a.status, b.status) || byKey(a.scheduleId, b.scheduleId),
    ),
    histograms: histogramRows.filter((r) => r.leMs < 1e15).map((r) => ({ metric: r.metric, le: r.leMs, n: r.n, s: r.sumMs })),
    totals: histogramRows.filter((r) => r.leMs > 1e15).map((r) => ({ metric: r.metric, n: r.n, s: r.sumMs })),
  };
  const tasks = await rowsOf("tasks", db);
  const metrics = await rowsOf("scheduleFiringMetrics", db);
  const count = <K extends string>(keys: K[]) => {
    const out = new Map<K, number>();
    for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
    return [...out].sort(([a], [b]) => byKey(a, b));
  };
  const value = (m: (typeof metrics)[number], metric: "lateness_ms" | "slot_wait_ms") => Math.max(metric === "lateness_ms" ? m.latenessMs : m.slotWaitMs, 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const recount = {
    byStatus: count(tasks.map((r) => r.status)).map(([status, n]) => ({ status, n })),
    bySchedule: count(tasks.filter((r) => r.scheduleId != null).map((r) => `${r.status}\u0000${r.scheduleId}`)).map(([key, n]) => {
      const [status, scheduleId] = key.split("\u0000");
      return { status, scheduleId, n };
    }),
    histograms: (["lateness_ms", "slot_wait_ms"] as const).flatMap((metric) =>
      BUCKETS_MS.map((le) => {
        const within = metrics.map((m) => value(m, metric)).filter((v) => v <= le);
        return { metric, le, n: within.length, s: sum(within) };
      }),
    ),
    totals: (["lateness_ms", "slot_wait_ms"] as const).map((metric) => ({ metric, n: metrics.length, s: sum(metrics.map((m) => value(m, metric))) })),
  };
  return { stored, recount };
}

async function insertFiringMetric(db: Db, scheduleId: string, latenessMs: number, slotWaitMs: number, firedAt = T0) {
  await run(
    db,
    db.insert(tablesOf(db).scheduleFiringMetrics).values({
      scheduleId, taskId: randomUUID(), firedAt, plannedAt: firedAt, slotClaimedAt: firedAt, completedAt: firedAt + 1000,
      latenessMs, slotWaitMs, durationMs: 1000, turnCount: 1, maxTurnsAtFiring: 10,
      eventLoopLagMs: 1, peakRssMb: 100, chatStreamsActive: 0, concurrentSchedules: 1, failureReason: null,
    }),
  );
}

describe("maintained counters equal a recount", () => {
  beforeEach(async () => truncateAll());
  afterEach(() => stopTestSchedulers());

  it("after the scheduler's transitions: runs, failures and retries, overlap skips, cancels, a deleted schedule, pruning", async () => {
    const db = getDb();
    await setCap(3);
    const busy = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "skip", maxAttempts: 2 });
    const other = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "buffer_one" });
    const s = await startTestScheduler();
    // Run i: every third holds (so the next occurrences overlap), every fourth fails retryably.
    s.runtime.setScript((_input, i) => (i % 3 === 0 ? { hold: true } : i % 4 === 1 ? { outcome: "error", failureReason: "network", error: "ECONNRESET" } : { turns: 2 }));
    for (let minute = 1; minute <= 12; minute++) {
      s.clock.set(T0 + minute * MIN);
      await s.loop.runPass();
      await waitFor(() => s.runtime.runs.every((r) => r.holding || r.finished), "runs settled");
      if (minute % 4 === 0) await releaseUntilIdle(s);
    }
    // A held run cancelled by the user, then the schedule deleted with history left behind.
    s.runtime.setScript({ hold: true });
    s.clock.set(T0 + 13 * MIN);
    await s.loop.runPass();
    await waitFor(() => s.runtime.runs.every((r) => r.holding || r.finished), "runs settled");
    await cancelTask(db, (await tasksOf(other.id)).find((t) => t.status === "running")!.id);
    await releaseUntilIdle(s);
    await deleteSchedule(busy.id, s.clock.now(), db);
    // Retention-style deletes of old history, and the loop's own pruning of firing metrics.
    const { tasks, scheduleFiringMetrics } = tablesOf(db);
    const oldest = (await run(db, db.select({ id: tasks.id }).from(tasks).orderBy(asc(tasks.createdAt), asc(tasks.id)).limit(3))).map((r) => r.id);
    await run(db, db.delete(tasks).where(inArray(tasks.id, oldest)));
    await insertFiringMetric(db, other.id, 700, 0, T0 - 40 * 24 * 3600_000);
    await pruneFiringMetrics(db, s.clock.now());

    const all = await rowsOf("tasks", db);
    expect([...new Set(all.map((t) => t.status))]).toEqual(expect.arrayContaining(["cancelled", "completed", "failed", "skipped"]));
    expect(all.filter((t) => t.sourceType === "retry").length).toBeGreaterThan(0);
    expect((await run(db, db.select().from(scheduleFiringMetrics))).length).toBeGreaterThan(0);
    const { stored, recount } = await countersAndRecount(db);
    expect(stored).toEqual(recount);
  });

  it("after seeded random inserts, status changes, schedule moves and deletes (any writer, not only the scheduler)", async () => {
    const db = getDb();
    const { tasks, scheduleFiringMetrics } = tablesOf(db);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const scheduleIds = [null, ...(await Promise.all(Array.from({ length: 4 }, async () => (await makeSchedule()).id)))];
    const statuses = ["queued", "running", "completed", "failed", "cancelled", "skipped"] as const;
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) {
      const u = rand();
      if (u < 0.45 || ids.length === 0) {
        const t = await makeTask({ scheduleId: scheduleIds[Math.floor(rand() * scheduleIds.length)], status: statuses[Math.floor(rand() * 6)], createdAt: T0 + i });
        ids.push(t.id);
      } else if (u < 0.75) {
        await run(db, db.update(tasks).set({ status: statuses[Math.floor(rand() * 6)] }).where(eq(tasks.id, ids[Math.floor(rand() * ids.length)])));
      } else if (u < 0.82) {
        await run(db, db.update(tasks).set({ scheduleId: scheduleIds[Math.floor(rand() * scheduleIds.length)] }).where(eq(tasks.id, ids[Math.floor(rand() * ids.length)])));
      } else if (u < 0.9) {
        await run(db, db.update(tasks).set({ turnCount: sql`${tasks.turnCount} + 1` }).where(eq(tasks.id, ids[Math.floor(rand() * ids.length)])));
      } else {
        const [id] = ids.splice(Math.floor(rand() * ids.length), 1);
        await run(db, db.delete(tasks).where(eq(tasks.id, id)));
      }
      if (i % 5 === 0) await insertFiringMetric(db, scheduleIds[1]!, Math.floor(rand() * 2000) - 100, Math.floor(rand() * 100_000));
      if (i % 37 === 0) {
        const [oldest] = await run(db, db.select({ id: min(scheduleFiringMetrics.id) }).from(scheduleFiringMetrics));
        if (oldest?.id != null) await run(db, db.delete(scheduleFiringMetrics).where(eq(scheduleFiringMetrics.id, oldest.id)));
      }
      if (i % 53 === 0) {
        const [newest] = await run(db, db.select({ id: max(scheduleFiringMetrics.id) }).from(scheduleFiringMetrics));
        if (newest?.id != null) {
          await run(db, db.update(scheduleFiringMetrics).set({ latenessMs: sql`${scheduleFiringMetrics.latenessMs} + 400` }).where(eq(scheduleFiringMetrics.id, newest.id)));
        }
      }
    }
    const { stored, recount } = await countersAndRecount(db);
    expect(stored.byStatus.length).toBeGreaterThan(3);
    expect(stored).toEqual(recount);
    // And a bulk delete (truncate) brings every counter back to zero.
    await truncateAll(db);
    const t = tablesOf(db);
    expect((await run(db, db.select().from(t.taskStatusCounts))).reduce((a, r) => a + Math.abs(r.n), 0)).toBe(0);
    expect((await run(db, db.select().from(t.scheduleTaskCounts))).reduce((a, r) => a + Math.abs(r.n), 0)).toBe(0);
    expect((await run(db, db.select().from(t.firingHistograms))).reduce((a, r) => a + Math.abs(r.n) + Math.abs(r.sumMs), 0)).toBe(0);
  });

  // SQLite's migration (drizzle/sqlite); PostgreSQL's backfill is tested in test/db/pg/pg-counters.test.ts.
  const onSqlite = process.env.AGENTCRON_TEST_DIALECT === "pg" ? it.skip : it;
  onSqlite("the migration backfills the counters of a database that already holds history", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-counters-"));
    try {
      const folder = path.resolve(__dirname, "../drizzle/sqlite");
      const journal = JSON.parse(fs.readFileSync(path.join(folder, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
      const at = journal.entries.findIndex((e) => e.tag.endsWith("maintained_counters"));
      expect(at).toBeGreaterThan(0);
      // The migrations before this one, in a folder of their own.
      const older = path.join(dir, "older");
      fs.cpSync(folder, older, { recursive: true });
      fs.writeFileSync(path.join(older, "meta/_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
      const db = openDatabase(path.join(dir, "agentcron.db"));
      migrate(db, { migrationsFolder: older });
      // Rows written in the OLD schema's columns only: the factories name every column of
      // today's schema (drizzle lists them all), which an older database doesn't have yet.
      const schedule = { id: randomUUID() };
      const raw = db.$client;
      raw.prepare("INSERT INTO schedules (id, name, prompt, cron_expression, created_at, updated_at) VALUES (?, 'old', 'p', '*/5 * * * *', ?, ?)").run(schedule.id, T0, T0);
      const insertTask = raw.prepare("INSERT INTO tasks (id, schedule_id, title, prompt, status, source_type, max_turns, created_at) VALUES (?, ?, 'task', 'p', ?, 'manual', 10, ?)");
      for (let i = 0; i < 30; i++) insertTask.run(randomUUID(), i % 4 ? schedule.id : null, (["completed", "failed", "skipped"] as const)[i % 3], T0 + i);
      for (const l of [-5, 10, 120, 4000, 2_000_000]) await insertFiringMetric(db, schedule.id, l, l * 2);
      migrate(db, { migrationsFolder: folder });
      const { stored, recount } = await countersAndRecount(db);
      expect(stored.byStatus).toHaveLength(3);
      expect(stored).toEqual(recount);
      db.$client.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
