/**
 * Batched planning (issue 14 item 7, ADR 0027): due schedules whose case is the common one
 * (one on-time occurrence) are planned set-based — a constant number of statements per batch,
 * whatever the number of schedules — and anything unusual (catch-up with missed occurrences,
 * maxFirings reached, cancel_other with something to cancel, a calendar skip) goes through
 * the per-schedule planSchedule with exactly today's outcome. Both dialects.
 */
import pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb, type Db } from "@/lib/db/client";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { BACKOFF_MS, eventsOf, scheduleById, tasksOf } from "../support/scheduler-harness";

beforeEach(async () => truncateAll());

const MIN = 60_000;

/**
 * Counts the statements `fn` sends to the database. SQLite: statements prepared plus `exec`
 * calls (BEGIN/SAVEPOINT/COMMIT) on the connection — drizzle prepares each builder query it
 * runs; the due-ids read is prepared once per connection and not counted again. PostgreSQL:
 * every query a pg client sends (transaction control included).
 */
/** Wraps `names` of `target` to count their calls; returns the function that restores them. */
function countCalls(target: Record<string, unknown>, names: string[], onCall: () => void): () => void {
  const originals = names.map((n) => [n, target[n]] as const);
  for (const [n, original] of originals)
    target[n] = function (this: unknown, ...args: unknown[]) {
      onCall();
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  return () => {
    for (const [n, original] of originals) target[n] = original;
  };
}

async function countStatements<T>(db: Db, fn: () => Promise<T>): Promise<{ result: T; statements: number }> {
  let statements = 0;
  // PostgreSQL: every query a client sends; SQLite: every statement prepared or exec'd.
  const restore =
    db.$dialect === "pg"
      ? countCalls(pg.Client.prototype as unknown as Record<string, unknown>, ["query"], () => (statements += 1))
      : countCalls(db.$client as unknown as Record<string, unknown>, ["prepare", "exec"], () => (statements += 1));
  try {
    return { result: await fn(), statements };
  } finally {
    restore();
  }
}

async function perMinuteSchedules(n: number, overrides: Parameters<typeof makeSchedule>[0] = {}) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "allow_all", ...overrides }));
  return out;
}

describe("batched planning (ADR 0027)", () => {
  it("plans N on-time occurrences in a constant number of statements: 20 and 40 due schedules cost the same", async () => {
    const db = getDb();
    await planDueOccurrences(db, T0, BACKOFF_MS); // prepares the per-connection due read once
    const first = await perMinuteSchedules(20);
    const a = await countStatements(db, () => planDueOccurrences(db, T0 + MIN, BACKOFF_MS));
    expect(a.result.plans).toHaveLength(20);
    expect(a.result.failed).toEqual([]);
    await perMinuteSchedules(20, { createdAt: T0 + MIN });
    const b = await countStatements(db, () => planDueOccurrences(db, T0 + 2 * MIN, BACKOFF_MS));
    expect(b.result.plans).toHaveLength(40);
    // Per schedule planning cost ≈ 6 statements each (≥ 120 for 20); batched: a handful per batch.
    console.info(`[batched-planning] ${db.$dialect}: 20 due → ${a.statements} statements, 40 due → ${b.statements}`);
    // PostgreSQL: due read, BEGIN, lock+read rows, active tasks, INSERT, UPDATE, COMMIT.
    expect(a.statements).toBeLessThanOrEqual(7);
    expect(b.statements).toBe(a.statements);
    for (const s of first) {
      const row = (await scheduleById(s.id))!;
      expect([row.firingCount, row.lastFiredAt, row.lastPlannedAt, row.nextFireAt]).toEqual([2, T0 + 2 * MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
      expect((await tasksOf(s.id)).map((t) => [t.plannedAt, t.status])).toEqual([
        [T0 + MIN, "queued"],
        [T0 + 2 * MIN, "queued"],
      ]);
    }
    // A second pass at the same instant plans nothing (nextFireAt was advanced before anything ran).
    expect((await planDueOccurrences(db, T0 + 2 * MIN, BACKOFF_MS)).plans).toEqual([]);
  });

  it("a catch-up schedule falls back to the per-schedule path: its missed count and event are exact, the others stay batched", async () => {
    const db = getDb();
    await planDueOccurrences(db, T0, BACKOFF_MS);
    await perMinuteSchedules(5, { createdAt: T0 + 9 * MIN });
    const base = await countStatements(db, () => planDueOccurrences(db, T0 + 10 * MIN, BACKOFF_MS));
    expect(base.result.plans).toHaveLength(5);

    await truncateAll();
    await planDueOccurrences(db, T0, BACKOFF_MS);
    await perMinuteSchedules(5, { createdAt: T0 + 9 * MIN });
    // Planned up to T0, due since T0 + 1 min: 10 occurrences by T0 + 10 min, the newest fires, 9 missed.
    const behind = await makeSchedule({ cronExpression: "* * * * *", catchUpPolicy: "latest", catchUpWindowSec: 3600 });
    const mixed = await countStatements(db, () => planDueOccurrences(db, T0 + 10 * MIN, BACKOFF_MS));
    expect(mixed.result.plans).toHaveLength(6);
    expect(mixed.result.plans.find((p) => p.scheduleId === behind.id)).toMatchObject({ queued: 1, skipped: 0, missed: 9 });
    expect(mixed.statements).toBeGreaterThan(base.statements); // the fallback's own statements
    const missed = (await eventsOf(behind.id)).filter((e) => e.kind === "missed_occurrences");
    expect(missed.map((e) => (e.data as { count: number }).count)).toEqual([9]);
    const row = (await scheduleById(behind.id))!;
    expect([row.firingCount, row.lastPlannedAt, row.nextFireAt]).toEqual([1, T0 + 10 * MIN, T0 + 11 * MIN]);
  });

  it("overlap per occurrence: skip with a running task inserts a skipped root task; cancel_other with a queued one falls back and skips it", async () => {
    const db = getDb();
    const skip = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "skip" });
    const cancel = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "cancel_other" });
    const bufferOne = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "buffer_one" });
    await makeTask({ scheduleId: skip.id, sourceType: "scheduled", status: "running", plannedAt: T0 - MIN, runnerId: "r1", slotClaimedAt: T0 });
    const oldQueued = await makeTask({ scheduleId: cancel.id, sourceType: "scheduled", status: "queued", plannedAt: T0 - MIN });
    await makeTask({ scheduleId: bufferOne.id, sourceType: "scheduled", status: "running", plannedAt: T0 - MIN, runnerId: "r1", slotClaimedAt: T0 });
    const res = await planDueOccurrences(db, T0 + MIN, BACKOFF_MS);
    expect(res.failed).toEqual([]);
    expect(res.plans.map((p) => [p.scheduleId, p.queued, p.skipped]).sort()).toEqual(
      [
        [skip.id, 0, 1],
        [cancel.id, 1, 0],
        [bufferOne.id, 1, 0],
      ].sort(),
    );
    const skipRoot = (await tasksOf(skip.id)).find((t) => t.plannedAt === T0 + MIN)!;
    expect([skipRoot.status, skipRoot.skippedReason]).toEqual(["skipped", "overlap"]);
    expect((await scheduleById(skip.id))!.firingCount).toBe(0);
    expect((await tasksOf(cancel.id)).find((t) => t.id === oldQueued.id)!.skippedReason).toBe("cancelled_by_overlap");
    expect((await scheduleById(cancel.id))!.firingCount).toBe(1);
    expect((await scheduleById(bufferOne.id))!.firingCount).toBe(1);
  });

  it("maxFirings reached and an excluded date fall back: the schedule completes with its event, the excluded occurrence is a skipped root task", async () => {
    const db = getDb();
    const last = await makeSchedule({ cronExpression: "* * * * *", maxFirings: 3, firingCount: 2, overlapPolicy: "allow_all" });
    const excluded = await makeSchedule({ cronExpression: "* * * * *", excludeDates: ["2026-01-05"] });
    const plain = await makeSchedule({ cronExpression: "* * * * *" });
    const res = await planDueOccurrences(db, T0 + MIN, BACKOFF_MS);
    expect(res.plans).toHaveLength(3);
    const done = (await scheduleById(last.id))!;
    expect([done.status, done.firingCount, done.nextFireAt]).toEqual(["completed", 3, null]);
    expect((await eventsOf(last.id)).map((e) => e.kind)).toContain("schedule_completed");
    const ex = await tasksOf(excluded.id);
    expect(ex.map((t) => [t.status, t.skippedReason])).toEqual([["skipped", "excluded_date"]]);
    expect((await scheduleById(excluded.id))!.firingCount).toBe(0);
    expect((await scheduleById(plain.id))!.firingCount).toBe(1);
  });

  it("an occurrence that already has its root task is not counted again (ON CONFLICT DO NOTHING), the watermark still advances", async () => {
    const db = getDb();
    const s = await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "allow_all" });
    await makeTask({ scheduleId: s.id, sourceType: "scheduled", status: "completed", plannedAt: T0 + MIN, finishedAt: T0 + MIN });
    const res = await planDueOccurrences(db, T0 + MIN, BACKOFF_MS);
    expect(res.plans).toEqual([{ scheduleId: s.id, queued: 0, skipped: 0, missed: 0, cancelledRunning: [] }]);
    const row = (await scheduleById(s.id))!;
    expect([row.firingCount, row.lastPlannedAt, row.nextFireAt]).toEqual([0, T0 + MIN, T0 + 2 * MIN]);
    expect(await tasksOf(s.id)).toHaveLength(1);
  });
});
