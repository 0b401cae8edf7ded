/**
 * The maintained counters on PostgreSQL (drizzle/pg 0001_maintained_counters, the plpgsql
 * port of SQLite's 0006): task_status_counts, schedule_task_counts and firing_histograms
 * equal a recount after inserts, status/schedule updates and deletes — single statements,
 * bulk statements, rolled-back transactions, concurrent writers on separate connections —
 * and the migration backfills them on a database that already holds rows.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migrationsFolderFor } from "@/lib/db/migrations-folder";
import { closePgDatabase, migratePgDatabase, openPgDatabase, type PgDb } from "@/lib/db/pg";
import { scheduleFiringMetrics, tasks } from "@/lib/db/schema-pg";
import { TASK_STATUSES } from "@/lib/db/constants";
import { createTestPgDatabase, dropTestPgDatabase, type TestPgDatabase } from "../../support/pg-test-db";

const T0 = Date.UTC(2026, 0, 1);
const BUCKETS_MS = [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 900000];

/** Counters as stored (zero rows dropped) and as recounted from the rows themselves. */
async function countersAndRecount(db: PgDb) {
  const q = async <T>(query: ReturnType<typeof sql>) => (await db.execute(query)).rows as T[];
  const stored = {
    byStatus: await q(sql`SELECT status, n FROM task_status_counts WHERE n <> 0 ORDER BY status`),
    bySchedule: await q(sql`SELECT status, schedule_id, n FROM schedule_task_counts WHERE n <> 0 ORDER BY status, schedule_id`),
    histograms: await q(sql`SELECT metric, le_ms AS le, n, sum_ms AS s FROM firing_histograms ORDER BY metric, le_ms`),
  };
  const recount = {
    byStatus: await q(sql`SELECT status, count(*) AS n FROM tasks GROUP BY status ORDER BY status`),
    bySchedule: await q(sql`SELECT status, schedule_id, count(*) AS n FROM tasks WHERE schedule_id IS NOT NULL GROUP BY status, schedule_id ORDER BY status, schedule_id`),
    histograms: [] as unknown[],
  };
  for (const metric of ["lateness_ms", "slot_wait_ms"]) {
    const col = sql.identifier(metric);
    for (const le of [...BUCKETS_MS, 2 ** 63]) {
      const bound = le === 2 ** 63 ? sql`9223372036854775807` : sql`${le}`;
      const [r] = await q<{ n: number; s: number }>(
        sql`SELECT count(*) AS n, coalesce(sum(greatest(${col}, 0)), 0) AS s FROM schedule_firing_metrics WHERE greatest(${col}, 0) <= ${bound}`,
      );
      recount.histograms.push({ metric, le, n: r.n, s: r.s });
    }
  }
  return { stored, recount };
}

async function expectExact(db: PgDb) {
  const { stored, recount } = await countersAndRecount(db);
  expect(stored).toEqual(recount);
}

function task(id: string, scheduleId: string | null, status: (typeof TASK_STATUSES)[number] = "queued") {
  return { id, scheduleId, status, title: "t", prompt: "p", sourceType: "manual" as const, maxTurns: 5, createdAt: T0 };
}

function firing(latenessMs: number, slotWaitMs: number, scheduleId = "s1") {
  return {
    scheduleId, taskId: `t-${latenessMs}-${slotWaitMs}`, firedAt: T0, plannedAt: T0, slotClaimedAt: T0, completedAt: T0 + 1000,
    latenessMs, slotWaitMs, durationMs: 1000, turnCount: 1, maxTurnsAtFiring: 10,
    eventLoopLagMs: 1, peakRssMb: 100, chatStreamsActive: 0, concurrentSchedules: 1, failureReason: null,
  };
}

describe("maintained counters on PostgreSQL", () => {
  let db: PgDb;
  beforeAll(async () => {
    db = openPgDatabase(process.env.DATABASE_URL!);
    await migratePgDatabase(db);
  });
  afterAll(async () => closePgDatabase(db));
  beforeEach(async () => {
    await db.execute(sql`TRUNCATE tasks, schedule_firing_metrics CASCADE`);
    await db.execute(sql`UPDATE firing_histograms SET n = 0, sum_ms = 0`);
    await db.execute(sql`TRUNCATE task_status_counts, schedule_task_counts`);
  });

  it("seeds one row per (metric, bucket), the +Inf bucket at int8 max", async () => {
    const rows = (await db.execute<{ metric: string; n: number }>(sql`SELECT metric, count(*) AS n, max(le_ms)::text AS top FROM firing_histograms GROUP BY metric ORDER BY metric`)).rows;
    expect(rows).toEqual([
      { metric: "lateness_ms", n: 13, top: "9223372036854775807" },
      { metric: "slot_wait_ms", n: 13, top: "9223372036854775807" },
    ]);
  });

  it("stay exact under inserts, status and schedule changes, bulk statements, rollbacks and deletes", async () => {
    await db.insert(tasks).values([task("a", "s1"), task("b", "s1"), task("c", "s2"), task("d", null), task("e", "s2", "running")]);
    await expectExact(db);
    await db.update(tasks).set({ status: "running" }).where(inArray(tasks.id, ["a", "d"]));
    await db.update(tasks).set({ status: "completed" }).where(inArray(tasks.id, ["a"]));
    await db.update(tasks).set({ scheduleId: "s3" }).where(inArray(tasks.id, ["b"])); // schedule change only
    await db.update(tasks).set({ scheduleId: null, status: "cancelled" }).where(inArray(tasks.id, ["c"])); // leaves the schedule
    await db.update(tasks).set({ scheduleId: "s1", status: "failed" }).where(inArray(tasks.id, ["d"])); // joins one
    await db.update(tasks).set({ title: "renamed", status: "running" }).where(inArray(tasks.id, ["e"])); // no counted change
    await expectExact(db);
    await expect(
      db.transaction(async (tx) => {
        await tx.update(tasks).set({ status: "skipped" });
        await tx.insert(tasks).values(task("z", "s9"));
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await expectExact(db);
    await db.transaction(async (tx) => {
      await tx.update(tasks).set({ status: "running" }).where(inArray(tasks.id, ["b"]));
      await expect(
        tx.transaction(async (sp) => {
          await sp.update(tasks).set({ status: "failed" }).where(inArray(tasks.id, ["a", "b"]));
          throw new Error("savepoint rolled back");
        }),
      ).rejects.toThrow("savepoint rolled back");
      await tx.insert(tasks).values(task("y", "s1", "skipped"));
    });
    await expectExact(db);
    await db.update(tasks).set({ status: "queued" }); // bulk: every row
    await expectExact(db);
    await db.delete(tasks).where(inArray(tasks.id, ["a", "c"]));
    await expectExact(db);
    await db.delete(tasks);
    await expectExact(db);
    const left = await db.execute<{ n: number }>(sql`SELECT coalesce(sum(n), 0) AS n FROM task_status_counts`);
    expect(left.rows[0].n).toBe(0);
  });

  it("histograms follow inserts, updates (negative values count as 0) and deletes of firing metrics", async () => {
    const ids = await db
      .insert(scheduleFiringMetrics)
      .values([firing(0, 0), firing(49, 50), firing(51, 1000), firing(-20, 999_999), firing(3_600_000, 12)])
      .returning({ id: scheduleFiringMetrics.id });
    await expectExact(db);
    await db.update(scheduleFiringMetrics).set({ latenessMs: 2500, slotWaitMs: -5 }).where(inArray(scheduleFiringMetrics.id, [ids[0].id, ids[3].id]));
    await db.update(scheduleFiringMetrics).set({ durationMs: 5 }); // not a histogram column
    await expectExact(db);
    await db.delete(scheduleFiringMetrics).where(inArray(scheduleFiringMetrics.id, [ids[1].id]));
    await expectExact(db);
    const total = await db.execute<{ n: number; s: number }>(sql`SELECT n, sum_ms AS s FROM firing_histograms WHERE metric = 'lateness_ms' AND le_ms = 9223372036854775807`);
    expect(total.rows[0]).toEqual({ n: 4, s: 2500 + 51 + 2500 + 3_600_000 });
  });

  it("stay exact with concurrent writers on separate connections moving tasks both ways", async () => {
    const WRITERS = 6;
    const ROUNDS = 40;
    await db.insert(tasks).values(Array.from({ length: WRITERS * 10 }, (_, i) => task(`c${i}`, `s${i % 4}`)));
    const pools = Array.from({ length: WRITERS }, () => openPgDatabase(process.env.DATABASE_URL!, { poolSize: 1 }));
    try {
      await Promise.all(
        pools.map(async (w, k) => {
          for (let r = 0; r < ROUNDS; r++) {
            // Each transaction moves two tasks in opposite directions (queued ↔ running ↔ completed) and
            // inserts, deletes or re-homes one: the lock-order rule is what keeps these from deadlocking.
            // Writer k owns tasks c{10k}…c{10k+9}: the writers contend on the counter rows only.
            const a = `c${k * 10 + (r % 10)}`;
            const b = `c${k * 10 + ((r * 3 + 1) % 10)}`;
            await w.transaction(async (tx) => {
              // Half the transactions write the firing metric first: the order across the two tables is fixed too.
              if (r % 2 === 0) await tx.insert(scheduleFiringMetrics).values(firing((k * 89 + r * 7) % 2000, (r * 17) % 900));
              await tx.update(tasks).set({ status: sql`CASE ${tasks.status} WHEN 'queued' THEN 'running' WHEN 'running' THEN 'completed' ELSE 'queued' END` }).where(inArray(tasks.id, [a]));
              await tx.update(tasks).set({ status: sql`CASE ${tasks.status} WHEN 'running' THEN 'queued' WHEN 'completed' THEN 'running' ELSE 'failed' END` }).where(inArray(tasks.id, [b]));
              if (r % 3 === 0) await tx.insert(tasks).values(task(`n${k}-${r}`, `s${r % 4}`, "running"));
              if (r % 3 === 1) await tx.delete(tasks).where(inArray(tasks.id, [`n${k}-${r - 1}`]));
              if (r % 3 === 2) await tx.update(tasks).set({ scheduleId: `s${(r + k) % 5}` }).where(inArray(tasks.id, [a]));
              await tx.insert(scheduleFiringMetrics).values(firing((k * 97 + r * 31) % 2000, (r * 13) % 600));
            });
          }
        }),
      );
    } finally {
      await Promise.all(pools.map((p) => closePgDatabase(p)));
    }
    await expectExact(db);
    const firings = await db.$count(scheduleFiringMetrics);
    expect(firings).toBe(WRITERS * ROUNDS * 1.5);
  });
});

describe("the counters migration on a database that already holds rows", () => {
  let fresh: TestPgDatabase;
  beforeAll(async () => {
    fresh = await createTestPgDatabase();
  });
  afterAll(async () => dropTestPgDatabase(fresh));

  it("backfills counts and histograms from the existing tasks and firing metrics", async () => {
    const full = migrationsFolderFor("pg");
    const before = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-pgmig-"));
    fs.cpSync(full, before, { recursive: true });
    const journalFile = path.join(before, "meta", "_journal.json");
    const journal = JSON.parse(fs.readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
    const at = journal.entries.findIndex((e) => e.tag.endsWith("maintained_counters"));
    expect(at).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, at);
    fs.writeFileSync(journalFile, JSON.stringify(journal));

    const db = openPgDatabase(fresh.url);
    try {
      await migratePgDatabase(db, before);
      expect((await db.execute(sql`SELECT to_regclass('firing_histograms') IS NOT NULL AS ok`)).rows[0]).toEqual({ ok: true });
      expect((await db.execute<{ n: number }>(sql`SELECT count(*) AS n FROM firing_histograms`)).rows[0].n).toBe(0);
      // The columns of the schema this database has (later migrations add task columns the
      // builder would name), so an explicit column list rather than db.insert(tasks).
      for (const t of [task("a", "s1"), task("b", "s1", "running"), task("c", null, "failed"), task("d", "s2", "failed")]) {
        await db.execute(sql`INSERT INTO tasks (id, schedule_id, status, title, prompt, source_type, max_turns, created_at)
          VALUES (${t.id}, ${t.scheduleId}, ${t.status}, ${t.title}, ${t.prompt}, ${t.sourceType}, ${t.maxTurns}, ${t.createdAt})`);
      }
      await db.insert(scheduleFiringMetrics).values([firing(10, 20), firing(-3, 700), firing(120_000, 0)]);
      await migratePgDatabase(db, full);
      await expectExact(db);
    } finally {
      await closePgDatabase(db);
      fs.rmSync(before, { recursive: true, force: true });
    }
  });
});
