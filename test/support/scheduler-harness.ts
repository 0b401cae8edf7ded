/**
 * Starts real scheduler loops against the test's database (SQLite file or PostgreSQL) with a fake clock and a
 * test runtime, and stops them after each test.
 */
import { asc, eq } from "drizzle-orm";
import { updateSettings } from "@/lib/config/settings";
import { getDb, type Db } from "@/lib/db/client";
import type { TaskRow } from "@/lib/db/schema";
import { first, run, tablesOf } from "@/lib/db/sql";
import type { SchedulerLoop } from "@/lib/scheduler/loop";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { runningTasksOf } from "@/lib/scheduler/running-tasks";
import { startScheduler } from "@/lib/scheduler/start";
import { FakeClock, type Clock } from "@/lib/time/clock";
import { T0 } from "../factories";
import { TestRuntime, testResolver } from "./test-runtime";

const started: { loop: SchedulerLoop; runtime: TestRuntime }[] = [];

export const BACKOFF_MS = [60_000, 300_000, 900_000] as const;

export interface TestScheduler {
  loop: SchedulerLoop;
  clock: FakeClock;
  runtime: TestRuntime;
  db: Db;
  runnerId: string;
}

/** A scheduler loop without real-time timers; pokes still run passes. */
export async function startTestScheduler(
  /** `clock`: a FakeClock (default, at T0) or the system clock for real-timer tests. */
  opts: { runtime?: TestRuntime; clock?: Clock; db?: Db; timers?: boolean } = {},
): Promise<TestScheduler> {
  const db = opts.db ?? getDb();
  const clock = opts.clock ?? new FakeClock(T0);
  const runtime = opts.runtime ?? new TestRuntime();
  const runnerId = await registerRunner(db, clock.now());
  const loop = await startScheduler({ db, clock, runnerId, resolveRuntime: testResolver(runtime), timers: opts.timers ?? false, retryBackoffMs: BACKOFF_MS });
  started.push({ loop, runtime });
  return { loop, clock: clock as FakeClock, runtime, db, runnerId };
}

/**
 * Stops every loop started by the test: no new pass starts, the pass in progress ends (its
 * writes land), every held run is released and written, then the loop stops. Called after
 * each test and by test/setup.ts before the database closes, so nothing writes to a closed
 * pool (PostgreSQL fails such writes; SQLite's were synchronous and hid the race).
 */
export async function stopTestSchedulers(): Promise<void> {
  while (started.length) {
    const { loop, runtime } = started.pop()!;
    loop.halt();
    await loop.passesSettled();
    await releaseUntilIdle({ loop, runtime });
    await loop.stop();
  }
}

/**
 * Releases every held run until none of this loop's runs is left, including runs that
 * passes start meanwhile (a finished run pokes a pass, which may claim a queued task whose
 * script holds). `loop.idle()` alone would wait on such a run forever.
 */
export async function releaseUntilIdle(s: { loop: SchedulerLoop; runtime: TestRuntime }): Promise<void> {
  for (;;) {
    for (const run of s.runtime.runs) run.release();
    const mine = runningTasksOf(s.loop.runnerId);
    if (!mine.length) return;
    await Promise.race([Promise.all(mine.map((t) => t.done)), new Promise((resolve) => setTimeout(resolve, 10))]);
  }
}

export async function setCap(maxConcurrent: number, db: Db = getDb(), extra: { chatPressureDelaySec?: number; maxRunDurationSec?: number } = {}): Promise<void> {
  await updateSettings({ maxConcurrent, ...extra }, T0, db);
}

export async function tasksOf(scheduleId: string, db: Db = getDb()): Promise<TaskRow[]> {
  const { tasks } = tablesOf(db);
  return run(db, db.select().from(tasks).where(eq(tasks.scheduleId, scheduleId)).orderBy(asc(tasks.createdAt), asc(tasks.plannedAt)));
}

export async function allTasks(db: Db = getDb()): Promise<TaskRow[]> {
  return run(db, db.select().from(tablesOf(db).tasks));
}

export async function taskById(id: string, db: Db = getDb()): Promise<TaskRow> {
  const { tasks } = tablesOf(db);
  return (await first(db, db.select().from(tasks).where(eq(tasks.id, id)).limit(1)))!;
}

export async function scheduleById(id: string, db: Db = getDb()) {
  const { schedules } = tablesOf(db);
  return first(db, db.select().from(schedules).where(eq(schedules.id, id)).limit(1));
}

export async function eventsOf(scheduleId: string, db: Db = getDb()) {
  const { events } = tablesOf(db);
  return run(db, db.select().from(events).where(eq(events.scheduleId, scheduleId)).orderBy(asc(events.id)));
}

export async function countByStatus(db: Db = getDb()): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of await allTasks(db)) out[t.status] = (out[t.status] ?? 0) + 1;
  return out;
}
