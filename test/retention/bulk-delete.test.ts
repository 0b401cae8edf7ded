/**
 * Deleting history in bulk keeps the maintained counters exact and is fast (issue 11 item 4):
 * on PostgreSQL the row-level delete triggers of 0001 took 51 s for 40,000 tasks over 1,000
 * schedules; the statement-level triggers of 0003 (transition tables) take one grouped merge
 * per statement. Both dialects.
 */
import { randomUUID } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb, withTransaction } from "@/lib/db/client";
import { execute, run, tablesOf } from "@/lib/db/sql";
import type { TaskRow } from "@/lib/db/schema";
import { TASK_STATUSES } from "@/lib/db/constants";
import { UNCLAIMED_RUN_STATE } from "@/lib/tasks/run-state";
import { T0, truncateAll } from "../factories";
import { countersMatch } from "./support";

const ROWS = 40_000;
const SCHEDULES = 1_000;

function task(i: number): TaskRow {
  return {
    ...UNCLAIMED_RUN_STATE,
    id: `bulk-${i}-${randomUUID().slice(0, 8)}`,
    scheduleId: `s${i % SCHEDULES}`,
    runtimeId: null,
    title: "t",
    prompt: "p",
    status: TASK_STATUSES[2 + (i % 4)],
    sourceType: "scheduled",
    rootSourceType: "scheduled",
    plannedAt: T0 + i * 1000,
    attempt: 1,
    maxAttempts: 1,
    parentTaskId: null,
    notBefore: null,
    maxTurns: 10,
    maxRunDurationSec: null,
    createdAt: T0 + i * 1000,
  } as TaskRow;
}

describe("bulk deletes and the maintained counters", () => {
  beforeEach(async () => truncateAll());

  it(`deletes ${ROWS.toLocaleString("en")} tasks over ${SCHEDULES.toLocaleString("en")} schedules in one statement in seconds, counters exact`, { timeout: 120_000 }, async () => {
    const db = getDb();
    // One statement per 100 rows: the insert path keeps its row-level triggers (0001), whose per-transaction deltas grow per row.
    for (let i = 0; i < ROWS; i += 100) await run(db, db.insert(tablesOf(db).tasks).values(Array.from({ length: 100 }, (_, k) => task(i + k))));
    const before = await countersMatch(db);
    expect(before.counted).toBe(ROWS);

    const t0 = performance.now();
    const deleted = await execute(db, sql`DELETE FROM tasks WHERE created_at < ${T0 + (ROWS - 100) * 1000}`);
    const ms = performance.now() - t0;
    console.log(`[bulk-delete] ${db.$dialect}: ${deleted} tasks over ${SCHEDULES} schedules deleted in ${ms.toFixed(0)} ms`);
    expect(deleted).toBe(ROWS - 100);
    expect(ms).toBeLessThan(10_000);
    const after = await countersMatch(db);
    expect(after).toEqual({ counted: 100, recounted: 100, bySchedule: true });
  });

  it("a transaction that deletes and also updates and inserts tasks keeps them exact, and a rolled-back delete changes nothing", async () => {
    const db = getDb();
    await run(db, db.insert(tablesOf(db).tasks).values(Array.from({ length: 300 }, (_, k) => task(k))));
    const ids = (await run(db, db.select({ id: tablesOf(db).tasks.id }).from(tablesOf(db).tasks))).map((r) => r.id);
    await withTransaction(db, async (tx) => {
      const t = tablesOf(tx);
      await run(tx, tx.update(t.tasks).set({ status: "queued" }).where(inArray(t.tasks.id, ids.slice(0, 10))));
      await run(tx, tx.delete(t.tasks).where(inArray(t.tasks.id, ids.slice(5, 120))));
      await run(tx, tx.insert(t.tasks).values([task(100_000), task(100_001)]));
      await run(tx, tx.delete(t.tasks).where(inArray(t.tasks.id, ids.slice(200, 210))));
    });
    expect(await countersMatch(db)).toEqual({ counted: 300 - 115 - 10 + 2, recounted: 177, bySchedule: true });
    await expect(
      withTransaction(db, async (tx) => {
        await run(tx, tx.delete(tablesOf(tx).tasks));
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await countersMatch(db)).toEqual({ counted: 177, recounted: 177, bySchedule: true });
  });
});
