/**
 * What makes a schedule "busy" for planning on PostgreSQL (ADR 0013): only another runner
 * planning it. A short write on the schedule row by someone who is not planning — a run's
 * finish writing the schedule's streaks, on another connection — is waited for, and the
 * occurrence is planned in the same pass. (With `FOR UPDATE SKIP LOCKED` on the row such a
 * write made the runner skip its own schedule for PLAN_BUSY_BACKOFF_MS: a late occurrence.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, openPgHandle, withTransaction, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { selectScheduleForPlanning } from "@/lib/db/queries/planning";
import { updateScheduleAfterFiring } from "@/lib/db/queries/task-runs";
import { planSchedule } from "@/lib/scheduler/occurrence-planner";
import { makeSchedule, T0, truncateAll } from "../../factories";
import { scheduleById, tasksOf } from "../../support/scheduler-harness";

const BACKOFF = [1000];

/** Runs `hold(tx)` in a transaction on `db` and keeps it open until `release()` is called. */
function openTransaction(db: Db, hold: (tx: Db) => Promise<unknown>) {
  let release!: () => void;
  let holding!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (holding = resolve));
  const done = withTransaction(db, async (tx) => {
    await hold(tx);
    holding();
    await released;
  });
  return { held, release, done };
}

describe("the planning lock on PostgreSQL", () => {
  let other: Db;
  beforeAll(async () => {
    const handle = openPgHandle(process.env.DATABASE_URL!, { poolSize: 2, applicationName: "agentcron-planning-lock-test" });
    await handle.ready;
    other = handle.db;
  });
  afterAll(async () => {
    await closePgDatabase(other as unknown as PgDb);
  });

  it("waits for a non-planning write on the schedule row and plans in the same pass", async () => {
    await truncateAll();
    const s = await makeSchedule({ cronExpression: "* * * * * *" });
    const writer = openTransaction(other, (tx) => updateScheduleAfterFiring(tx, s.id, { failureStreak: 1, updatedAt: T0 }));
    await writer.held;
    const planning = planSchedule(getDb(), s.id, T0 + 1000, BACKOFF);
    // The planner is blocked on the row, not told "busy".
    const early = await Promise.race([planning.then(() => "finished"), new Promise((resolve) => setTimeout(() => resolve("waiting"), 300))]);
    expect(early).toBe("waiting");
    writer.release();
    await writer.done;
    const plan = await planning;
    expect(plan).toMatchObject({ scheduleId: s.id, queued: 1 });
    expect((await tasksOf(s.id)).map((t) => t.plannedAt)).toEqual([T0 + 1000]);
    // The finish's write and the plan's both landed.
    expect(await scheduleById(s.id)).toMatchObject({ failureStreak: 1, firingCount: 1, nextFireAt: T0 + 2000 });
  });

  it("answers busy at once while another runner plans the schedule, and plans it after that runner committed", async () => {
    await truncateAll();
    const s = await makeSchedule({ cronExpression: "* * * * * *" });
    const planner = openTransaction(other, async (tx) => expect(await selectScheduleForPlanning(tx, s.id)).toMatchObject({ id: s.id }));
    await planner.held;
    const started = performance.now();
    expect(await planSchedule(getDb(), s.id, T0 + 1000, BACKOFF)).toBe("busy");
    expect(performance.now() - started).toBeLessThan(250); // not waited for
    expect(await tasksOf(s.id)).toEqual([]);
    planner.release();
    await planner.done;
    expect(await planSchedule(getDb(), s.id, T0 + 1000, BACKOFF)).toMatchObject({ queued: 1 });
  });

  it("a schedule that doesn't exist is undefined, not busy", async () => {
    await withTransaction(getDb(), async (tx) => expect(await selectScheduleForPlanning(tx, "no-such-schedule")).toBeUndefined());
  });
});
