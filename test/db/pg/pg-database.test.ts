/**
 * src/lib/db/pg.ts against a real PostgreSQL server (the per-file database of test/setup.ts):
 * the pool, the number parsers, migrations (idempotent, serialized by an advisory lock when
 * several instances boot at once), and the schema's meaning on PostgreSQL (ms timestamps as
 * numbers, booleans, jsonb, the one-root-task-per-occurrence index).
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePgDatabase, isPostgresUrl, migratePgDatabase, openPgDatabase, type PgDb } from "@/lib/db/pg";
import { runtimes, schedules, settings, taskEvents, tasks } from "@/lib/db/schema-pg";
import { createTestPgDatabase, dropTestPgDatabase, type TestPgDatabase } from "../../support/pg-test-db";

function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!isPostgresUrl(url)) throw new Error("test/setup.ts did not set a PostgreSQL DATABASE_URL (run with npm run test:unit:pg)");
  return url;
}

const T0 = Date.UTC(2026, 0, 1);

async function appliedMigrations(db: PgDb): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`);
  return r.rows[0].n;
}

describe("openPgDatabase / migratePgDatabase", () => {
  let db: PgDb;
  beforeAll(async () => {
    db = openPgDatabase(databaseUrl(), { poolSize: 3 });
    await migratePgDatabase(db);
  });
  afterAll(async () => closePgDatabase(db));

  it("sizes the pool from the option and parses int8 and numeric as JS numbers", async () => {
    expect(db.$client.options.max).toBe(3);
    const r = await db.execute<{ n: unknown; big: unknown; s: unknown }>(
      sql`SELECT count(*) AS n, 1767225600000::bigint AS big, sum(x) AS s FROM (VALUES (1::bigint), (2::bigint)) AS v(x)`,
    );
    expect(r.rows[0]).toEqual({ n: 1 * 2, big: 1767225600000, s: 3 });
    expect(typeof r.rows[0].n).toBe("number");
  });

  it("runs every session of the pool with JIT compilation off (OLTP statements; the cluster's default is on)", async () => {
    const clients = await Promise.all([db.$client.connect(), db.$client.connect()]);
    try {
      for (const c of clients) expect((await c.query("SHOW jit")).rows[0].jit).toBe("off");
      // The cluster default is untouched: a session opened without the pool's options sees it on.
      const { rows } = await clients[0].query("SELECT boot_val FROM pg_settings WHERE name = 'jit'");
      expect(rows[0].boot_val).toBe("on");
    } finally {
      for (const c of clients) c.release();
    }
  });

  it("is idempotent: a second run applies nothing", async () => {
    const before = await appliedMigrations(db);
    expect(before).toBeGreaterThanOrEqual(2);
    await migratePgDatabase(db);
    expect(await appliedMigrations(db)).toBe(before);
  });

  it("stores the schema's meaning: ms timestamps as numbers, booleans, jsonb, identity ids", async () => {
    const [rt] = await db
      .insert(runtimes)
      .values({ id: "rt1", name: "Scripted", kind: "command", config: { command: "echo", args: ["a"] }, isDefault: true, createdAt: T0, updatedAt: T0 })
      .returning();
    expect(rt).toMatchObject({ isDefault: true, config: { command: "echo", args: ["a"] }, createdAt: T0 });
    await db.insert(tasks).values({ id: "t1", title: "t", prompt: "p", sourceType: "manual", maxTurns: 5, createdAt: T0, agentProcessGroups: [{ pgid: 42, startTime: 123456789012 }] });
    const [task] = await db.select().from(tasks).where(eq(tasks.id, "t1"));
    expect(task).toMatchObject({ status: "queued", forced: false, createdAt: T0, plannedAt: null, agentProcessGroups: [{ pgid: 42, startTime: 123456789012 }] });
    const events = await db
      .insert(taskEvents)
      .values([1, 2].map((i) => ({ taskId: "t1", type: "usage", payload: { i }, createdAt: T0 + i })))
      .returning({ id: taskEvents.id });
    expect(events.map((e) => typeof e.id)).toEqual(["number", "number"]);
    expect(events[1].id).toBeGreaterThan(events[0].id);
    await db.insert(settings).values({ key: "k", value: { nested: [1, "two"] }, updatedAt: T0 });
    const [s] = await db.select().from(settings);
    expect(s.value).toEqual({ nested: [1, "two"] });
  });

  it("enforces one root task per occurrence (the partial unique index), not for retries or manual tasks", async () => {
    await db.insert(schedules).values({ id: "s1", name: "s", prompt: "p", cronExpression: "* * * * *", createdAt: T0, updatedAt: T0 });
    const base = { scheduleId: "s1", title: "t", prompt: "p", maxTurns: 5, createdAt: T0 } as const;
    await db.insert(tasks).values({ ...base, id: "root", sourceType: "scheduled", plannedAt: T0 });
    await expect(db.insert(tasks).values({ ...base, id: "dup", sourceType: "scheduled", plannedAt: T0 })).rejects.toMatchObject({
      // drizzle wraps the driver's error: pg's unique_violation is its cause.
      cause: { code: "23505", constraint: "tasks_occurrence_unique" },
    });
    await db.insert(tasks).values({ ...base, id: "retry", sourceType: "retry", plannedAt: T0, parentTaskId: "root", attempt: 2 });
    await db.insert(tasks).values([
      { ...base, id: "m1", sourceType: "manual" },
      { ...base, id: "m2", sourceType: "manual" },
    ]);
    const n = await db.$count(tasks, eq(tasks.scheduleId, "s1"));
    expect(n).toBe(4);
  });
});

describe("migratePgDatabase from several instances at once", () => {
  let fresh: TestPgDatabase;
  beforeAll(async () => {
    fresh = await createTestPgDatabase();
  });
  afterAll(async () => dropTestPgDatabase(fresh));

  it("applies each migration exactly once while four instances boot together", async () => {
    const instances = Array.from({ length: 4 }, () => openPgDatabase(fresh.url, { poolSize: 2 }));
    try {
      const results = await Promise.allSettled(instances.map((db) => migratePgDatabase(db)));
      expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok", "ok", "ok"]);
      const rows = await instances[0].execute<{ hash: string }>(sql`SELECT hash FROM drizzle.__drizzle_migrations ORDER BY id`);
      expect(rows.rows.length).toBeGreaterThanOrEqual(2);
      expect(new Set(rows.rows.map((r) => r.hash)).size).toBe(rows.rows.length);
      const counters = await instances[1].execute<{ n: number }>(sql`SELECT count(*) AS n FROM firing_histograms`);
      expect(counters.rows[0].n).toBe(26);
    } finally {
      await Promise.all(instances.map((db) => closePgDatabase(db)));
    }
  });
});

describe("isPostgresUrl", () => {
  it("names postgres:// and postgresql:// URLs only", () => {
    expect(isPostgresUrl("postgres://u@h/db")).toBe(true);
    expect(isPostgresUrl("postgresql://u@h:5432/db?sslmode=require")).toBe(true);
    expect(isPostgresUrl("file:./data/agentcron.db")).toBe(false);
    expect(isPostgresUrl(undefined)).toBe(false);
  });
});
