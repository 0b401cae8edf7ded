import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, openDatabase, openPgHandle, resolveDataDir, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { run, tablesOf } from "@/lib/db/sql";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { FakeClock } from "@/lib/time/clock";
import { eq } from "drizzle-orm";
import { makeSchedule, T0, truncateAll } from "../factories";
import { BACKOFF_MS, allTasks, eventsOf, scheduleById, setCap, startTestScheduler, stopTestSchedulers, tasksOf } from "../support/scheduler-harness";
import { installFault, removeFault } from "../support/fault-triggers";
import { TestRuntime } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

describe("one occurrence → at most one root task (invariant 1)", () => {
  it("repeated passes at the same and later instants plan each occurrence once, and nextFireAt is set before anything runs", async () => {
    await setCap(5);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    for (let i = 0; i < 5; i++) await s.loop.runPass();
    const afterPlan = (await scheduleById(sched.id))!;
    expect(afterPlan.nextFireAt).toBe(T0 + 10 * MIN);
    expect(afterPlan.lastPlannedAt).toBe(T0 + 5 * MIN);
    expect(afterPlan.firingCount).toBe(1);
    await s.loop.idle();
    s.clock.set(T0 + 5 * MIN + 30_000);
    await s.loop.runPass();
    await s.loop.idle();
    expect((await tasksOf(sched.id)).map((t) => [t.plannedAt, t.status])).toEqual([[T0 + 5 * MIN, "completed"]]);
  });

  it("a crash mid-pass (the schedule update fails after the task insert) rolls the occurrence back; the next pass plans it once", async () => {
    await setCap(5);
    const db = getDb();
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    await installFault(db, { name: "crash_mid_pass", table: "schedules", event: "UPDATE OF last_planned_at", message: "simulated crash" });
    const res = await planDueOccurrences(db, T0 + 5 * MIN, BACKOFF_MS);
    expect(res.failed).toEqual([sched.id]);
    expect(await allTasks()).toHaveLength(0); // the inserted task rolled back with the failed update
    await removeFault(db, { name: "crash_mid_pass", table: "schedules" });

    await planDueOccurrences(db, T0 + 5 * MIN, BACKOFF_MS);
    // Even if the watermark were lost after the commit, ON CONFLICT DO NOTHING keeps it one task.
    const { schedules } = tablesOf(db);
    await run(db, db.update(schedules).set({ lastPlannedAt: T0, nextFireAt: T0 + 5 * MIN }).where(eq(schedules.id, sched.id)));
    await planDueOccurrences(db, T0 + 5 * MIN, BACKOFF_MS);
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN]);
    expect((await scheduleById(sched.id))!.firingCount).toBe(1);
  });

  it("two scheduler instances with two runner ids sharing one database plan each occurrence once and never exceed the cap", async () => {
    await setCap(2);
    let db2: Db;
    if (getDb().$dialect === "pg") {
      const second = openPgHandle(process.env.DATABASE_URL!);
      await second.ready;
      db2 = second.db;
    } else {
      const file = path.join(resolveDataDir(), "agentcron.db");
      expect(fs.existsSync(file)).toBe(true);
      db2 = openDatabase(file);
    }
    try {
      const ids = await Promise.all(Array.from({ length: 4 }, async (_, i) => (await makeSchedule({ prompt: `p${i}`, cronExpression: "* * * * *", overlapPolicy: "allow_all" })).id));
      const clock = new FakeClock(T0);
      const runtime = new TestRuntime({ hold: true });
      const a = await startTestScheduler({ clock, runtime });
      const b = await startTestScheduler({ clock, runtime, db: db2 });
      expect(a.runnerId).not.toBe(b.runnerId);
      for (let minute = 1; minute <= 3; minute++) {
        clock.set(T0 + minute * MIN);
        for (let i = 0; i < 3; i++) {
          await a.loop.runPass();
          await b.loop.runPass();
        }
        const running = (await allTasks()).filter((t) => t.status === "running");
        expect(running.length).toBeLessThanOrEqual(2);
      }
      for (const id of ids) {
        const planned = (await tasksOf(id)).map((t) => t.plannedAt);
        expect(planned).toEqual([T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
      }
      const runners = new Set((await allTasks()).filter((t) => t.status === "running").map((t) => t.runnerId));
      expect(runners.size).toBeGreaterThanOrEqual(1);
      // Drain everything: each release frees a slot that either runner may claim.
      while ((await allTasks()).some((t) => t.status !== "completed")) {
        for (const r of runtime.runs) r.release();
        await a.loop.runPass();
        await b.loop.runPass();
        await new Promise((r) => setTimeout(r, 5));
        expect((await allTasks()).filter((t) => t.status === "running").length).toBeLessThanOrEqual(2);
      }
      expect(await allTasks()).toHaveLength(12);
    } finally {
      await stopTestSchedulers();
      if (db2.$dialect === "pg") await closePgDatabase(db2 as unknown as PgDb);
      else db2.$client.close();
    }
  });
});

describe("catch-up after downtime", () => {
  const hourDown = async (catchUpPolicy: "latest" | "all" | "skip") => {
    await setCap(100);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", catchUpPolicy, overlapPolicy: "allow_all", catchUpWindowSec: 3600 });
    const s = await startTestScheduler({ clock: new FakeClock(T0 + 62 * MIN) }); // down from T0 to T0+62m: 12 occurrences
    await s.loop.idle();
    const missed = (await eventsOf(sched.id)).filter((e) => e.kind === "missed_occurrences");
    return { tasks: await tasksOf(sched.id), missed: missed.map((e) => e.data?.count), schedule: (await scheduleById(sched.id))! };
  };

  it("latest → 1 task (the newest occurrence) + a missed count of 11", async () => {
    const r = await hourDown("latest");
    expect(r.tasks.map((t) => t.plannedAt)).toEqual([T0 + 60 * MIN]);
    expect(r.missed).toEqual([11]);
    expect(r.schedule.nextFireAt).toBe(T0 + 65 * MIN);
  });

  it("all → 12 tasks, nothing missed", async () => {
    const r = await hourDown("all");
    expect(r.tasks.map((t) => t.plannedAt).sort()).toEqual(Array.from({ length: 12 }, (_, i) => T0 + (i + 1) * 5 * MIN));
    expect(r.missed).toEqual([]);
  });

  it("skip → 0 tasks + 12 missed", async () => {
    const r = await hourDown("skip");
    expect(r.tasks).toHaveLength(0);
    expect(r.missed).toEqual([12]);
    expect(r.schedule.nextFireAt).toBe(T0 + 65 * MIN);
  });

  it("latest outside catchUpWindowSec → nothing runs, all 12 counted as missed", async () => {
    await setCap(100);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", catchUpWindowSec: 60 });
    const s = await startTestScheduler({ clock: new FakeClock(T0 + 62 * MIN) });
    await s.loop.idle();
    expect(await tasksOf(sched.id)).toHaveLength(0);
    expect((await eventsOf(sched.id)).find((e) => e.kind === "missed_occurrences")?.data?.count).toBe(12);
  });

  it("a per-second schedule after 24 h down fires, counts 86,399 missed without enumerating them, and keeps firing", async () => {
    await setCap(100);
    const sched = await makeSchedule({ cronExpression: "* * * * * *", overlapPolicy: "allow_all" });
    const s = await startTestScheduler({ clock: new FakeClock(T0 + 24 * 3600_000) });
    const started = performance.now();
    await s.loop.runPass();
    expect(performance.now() - started).toBeLessThan(2000); // bounded work, not 86,400 iterations
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toEqual([T0 + 24 * 3600_000]);
    expect((await eventsOf(sched.id)).find((e) => e.kind === "missed_occurrences")?.data).toMatchObject({ count: 86_399 });
    s.clock.advance(1000);
    await s.loop.runPass();
    s.clock.advance(1000);
    await s.loop.runPass();
    await s.loop.idle();
    expect((await tasksOf(sched.id)).map((t) => t.plannedAt)).toEqual([0, 1, 2].map((i) => T0 + 24 * 3600_000 + i * 1000));
    expect((await scheduleById(sched.id))!.nextFireAt).toBe(T0 + 24 * 3600_000 + 3000);
  });

  it("all with more occurrences in the window than a pass may plan continues on the next passes without losing any", async () => {
    await setCap(1000);
    const sched = await makeSchedule({ cronExpression: "* * * * * *", catchUpPolicy: "all", overlapPolicy: "allow_all", catchUpWindowSec: 250 });
    const s = await startTestScheduler({ clock: new FakeClock(T0 + 300_000) });
    const first = (await tasksOf(sched.id)).length;
    expect(first).toBe(100);
    for (let i = 0; i < 5; i++) await s.loop.runPass();
    await s.loop.idle();
    const planned = (await tasksOf(sched.id)).map((t) => t.plannedAt!).sort((a, b) => a - b);
    expect(planned).toHaveLength(251); // T0+50s .. T0+300s
    expect(planned[0]).toBe(T0 + 50_000);
    expect((await eventsOf(sched.id)).find((e) => e.kind === "missed_occurrences")?.data?.count).toBe(49);
  });
});

describe("schedule state found in the DB", () => {
  it("a bad cron is paused with reason invalid_cron and an event; the loop keeps planning the others", async () => {
    await setCap(5);
    const bad = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const { schedules } = tablesOf(getDb());
    await run(getDb(), getDb().update(schedules).set({ cronExpression: "61 * * * *" }).where(eq(schedules.id, bad.id)));
    const good = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    const report = (await s.loop.runPass())!;
    expect(report.errors).toEqual([]);
    expect(await scheduleById(bad.id)).toMatchObject({ status: "paused", pausedReason: "invalid_cron", nextFireAt: null });
    expect((await eventsOf(bad.id)).map((e) => e.kind)).toContain("invalid_cron");
    expect(await tasksOf(good.id)).toHaveLength(1);
    s.clock.set(T0 + 10 * MIN);
    await s.loop.runPass();
    await s.loop.idle();
    expect(await tasksOf(good.id)).toHaveLength(2);
    expect(await tasksOf(bad.id)).toHaveLength(0);
  });

  it("maxFirings completes the schedule; expiresAt expires it", async () => {
    await setCap(5);
    const limited = await makeSchedule({ cronExpression: "*/5 * * * *", maxFirings: 2, overlapPolicy: "allow_all" });
    const expiring = await makeSchedule({ cronExpression: "*/5 * * * *", expiresAt: T0 + 12 * MIN, overlapPolicy: "allow_all" });
    const s = await startTestScheduler();
    for (const m of [5, 10, 15, 20]) {
      s.clock.set(T0 + m * MIN);
      await s.loop.runPass();
      await s.loop.idle();
    }
    expect(await tasksOf(limited.id)).toHaveLength(2);
    expect(await scheduleById(limited.id)).toMatchObject({ status: "completed", nextFireAt: null, firingCount: 2 });
    expect((await tasksOf(expiring.id)).map((t) => t.plannedAt)).toEqual([T0 + 5 * MIN, T0 + 10 * MIN]);
    expect(await scheduleById(expiring.id)).toMatchObject({ status: "expired", nextFireAt: null });
    expect((await eventsOf(limited.id)).map((e) => e.kind)).toContain("schedule_completed");
    expect((await eventsOf(expiring.id)).map((e) => e.kind)).toContain("schedule_expired");
  });
});
