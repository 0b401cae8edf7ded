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
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, openDatabase, type Db } from "@/lib/db/client";
import * as schema from "@/lib/db/schema";
import { pruneFiringMetrics } from "@/lib/scheduler/firing-metrics";
import { deleteSchedule } from "@/lib/schedules/service";
import { cancelTask } from "@/lib/tasks/cancel";
import { makeSchedule, makeTask, T0, truncateAll } from "./factories";
import { setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "./support/scheduler-harness";
import { waitFor } from "./support/test-runtime";

const MIN = 60_000;
const BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000];

/** Counters as stored (zero rows dropped) and as recounted from the rows themselves. */
async function countersAndRecount(db: Db) {
  const c = db.$client;
  const nonZero = <T extends { n: number }>(rows: T[]) => rows.filter((r) => r.n !== 0);
  const stored = {
    byStatus: nonZero(c.prepare("SELECT status, n FROM task_status_counts ORDER BY status").all() as { status: string; n: number }[]),
    bySchedule: nonZero(c.prepare("SELECT status, schedule_id AS scheduleId, n FROM schedule_task_counts ORDER BY status, schedule_id").all() as { n: number }[]),
    histograms: c.prepare("SELECT metric, le_ms AS le, n, sum_ms AS s FROM firing_histograms WHERE le_ms < 1e15 ORDER BY metric, le_ms").all(),
    totals: c.prepare("SELECT metric, n, sum_ms AS s FROM firing_histograms WHERE le_ms > 1e15 ORDER BY metric").all(),
  };
  const recount = {
    byStatus: c.prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status ORDER BY status").all(),
    bySchedule: c
      .prepare("SELECT status, schedule_id AS scheduleId, count(*) AS n FROM tasks WHERE schedule_id IS NOT NULL GROUP BY status, schedule_id ORDER BY status, schedule_id")
      .all(),
    histograms: ["lateness_ms", "slot_wait_ms"].flatMap((metric) =>
      BUCKETS_MS.map((le) => ({
        metric,
        le,
        ...(c.prepare(`SELECT count(*) AS n, coalesce(sum(max(${metric}, 0)), 0) AS s FROM schedule_firing_metrics WHERE max(${metric}, 0) <= ?`).get(le) as object),
      })),
    ),
    totals: ["lateness_ms", "slot_wait_ms"].map((metric) => ({
      metric,
      ...(c.prepare(`SELECT count(*) AS n, coalesce(sum(max(${metric}, 0)), 0) AS s FROM schedule_firing_metrics`).get() as object),
    })),
  };
  return { stored, recount };
}

async function insertFiringMetric(db: Db, scheduleId: string, latenessMs: number, slotWaitMs: number, firedAt = T0) {
  db.insert(schema.scheduleFiringMetrics)
    .values({
      scheduleId, taskId: randomUUID(), firedAt, plannedAt: firedAt, slotClaimedAt: firedAt, completedAt: firedAt + 1000,
      latenessMs, slotWaitMs, durationMs: 1000, turnCount: 1, maxTurnsAtFiring: 10,
      eventLoopLagMs: 1, peakRssMb: 100, chatStreamsActive: 0, concurrentSchedules: 1, failureReason: null,
    })
    .run();
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
      if (minute % 4 === 0) {
        for (const r of s.runtime.runs) r.release();
        await s.loop.idle();
      }
    }
    // A held run cancelled by the user, then the schedule deleted with history left behind.
    s.runtime.setScript({ hold: true });
    s.clock.set(T0 + 13 * MIN);
    await s.loop.runPass();
    await waitFor(() => s.runtime.runs.every((r) => r.holding || r.finished), "runs settled");
    await cancelTask(db, (await tasksOf(other.id)).find((t) => t.status === "running")!.id);
    for (const r of s.runtime.runs) r.release();
    await s.loop.idle();
    await deleteSchedule(busy.id, s.clock.now(), db);
    // Retention-style deletes of old history, and the loop's own pruning of firing metrics.
    db.$client.prepare("DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks ORDER BY created_at LIMIT 3)").run();
    await insertFiringMetric(db, other.id, 700, 0, T0 - 40 * 24 * 3600_000);
    await pruneFiringMetrics(db, s.clock.now());

    const statuses = db.$client.prepare("SELECT DISTINCT status FROM tasks ORDER BY status").pluck().all();
    expect(statuses).toEqual(expect.arrayContaining(["cancelled", "completed", "failed", "skipped"]));
    expect(db.$client.prepare("SELECT count(*) FROM tasks WHERE source_type = 'retry'").pluck().get()).toBeGreaterThan(0);
    expect(db.$client.prepare("SELECT count(*) FROM schedule_firing_metrics").pluck().get()).toBeGreaterThan(0);
    const { stored, recount } = await countersAndRecount(db);
    expect(stored).toEqual(recount);
  });

  it("after seeded random inserts, status changes, schedule moves and deletes (any writer, not only the scheduler)", async () => {
    const db = getDb();
    const c = db.$client;
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
        c.prepare("UPDATE tasks SET status = ? WHERE id = ?").run(statuses[Math.floor(rand() * 6)], ids[Math.floor(rand() * ids.length)]);
      } else if (u < 0.82) {
        c.prepare("UPDATE tasks SET schedule_id = ? WHERE id = ?").run(scheduleIds[Math.floor(rand() * scheduleIds.length)], ids[Math.floor(rand() * ids.length)]);
      } else if (u < 0.9) {
        c.prepare("UPDATE tasks SET turn_count = turn_count + 1 WHERE id = ?").run(ids[Math.floor(rand() * ids.length)]);
      } else {
        const [id] = ids.splice(Math.floor(rand() * ids.length), 1);
        c.prepare("DELETE FROM tasks WHERE id = ?").run(id);
      }
      if (i % 5 === 0) await insertFiringMetric(db, scheduleIds[1]!, Math.floor(rand() * 2000) - 100, Math.floor(rand() * 100_000));
      if (i % 37 === 0) c.prepare("DELETE FROM schedule_firing_metrics WHERE id = (SELECT min(id) FROM schedule_firing_metrics)").run();
      if (i % 53 === 0) c.prepare("UPDATE schedule_firing_metrics SET lateness_ms = lateness_ms + 400 WHERE id = (SELECT max(id) FROM schedule_firing_metrics)").run();
    }
    const { stored, recount } = await countersAndRecount(db);
    expect(stored.byStatus.length).toBeGreaterThan(3);
    expect(stored).toEqual(recount);
    // And a bulk delete (truncate) brings every counter back to zero.
    await truncateAll(db);
    expect(c.prepare("SELECT coalesce(sum(abs(n)), 0) FROM task_status_counts").pluck().get()).toBe(0);
    expect(c.prepare("SELECT coalesce(sum(abs(n)), 0) FROM schedule_task_counts").pluck().get()).toBe(0);
    expect(c.prepare("SELECT coalesce(sum(abs(n)) + sum(abs(sum_ms)), 0) FROM firing_histograms").pluck().get()).toBe(0);
  });

  it("the migration backfills the counters of a database that already holds history", async () => {
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
      const sqlite = db.$client;
      migrate(db, { migrationsFolder: older });
      const schedule = await makeSchedule({}, db);
      for (let i = 0; i < 30; i++) await makeTask({ scheduleId: i % 4 ? schedule.id : null, status: (["completed", "failed", "skipped"] as const)[i % 3], createdAt: T0 + i }, db);
      for (const l of [-5, 10, 120, 4000, 2_000_000]) await insertFiringMetric(db, schedule.id, l, l * 2);
      migrate(db, { migrationsFolder: folder });
      const { stored, recount } = await countersAndRecount(db);
      expect(stored.byStatus).toHaveLength(3);
      expect(stored).toEqual(recount);
      sqlite.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
