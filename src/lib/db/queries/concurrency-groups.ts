import "server-only";
import { and, count, eq, inArray, isNotNull } from "drizzle-orm";
import type { Db } from "../client";
import type { ConcurrencyGroupRow } from "../schema";
import { affected, first, run, tablesOf } from "../sql";

/** Every stored group cap, by name. */
export async function selectGroupCaps(db: Db): Promise<ConcurrencyGroupRow[]> {
  const { concurrencyGroups } = tablesOf(db);
  return run(db, db.select().from(concurrencyGroups).orderBy(concurrencyGroups.name));
}

/** One group's cap row, or undefined (no cap of its own). */
export async function selectGroupCap(db: Db, name: string): Promise<ConcurrencyGroupRow | undefined> {
  const { concurrencyGroups } = tablesOf(db);
  return first(db, db.select().from(concurrencyGroups).where(eq(concurrencyGroups.name, name)).limit(1));
}

/** Sets (inserts or replaces) a group's cap. `now`: UTC ms. */
export async function upsertGroupCap(db: Db, name: string, maxConcurrent: number, now: number): Promise<void> {
  const { concurrencyGroups } = tablesOf(db);
  await run(
    db,
    db
      .insert(concurrencyGroups)
      .values({ name, maxConcurrent, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: concurrencyGroups.name, set: { maxConcurrent, updatedAt: now } }),
  );
}

/** Removes a group's cap; true when there was one. */
export async function deleteGroupCap(db: Db, name: string): Promise<boolean> {
  const { concurrencyGroups } = tablesOf(db);
  return (await affected(db, db.delete(concurrencyGroups).where(eq(concurrencyGroups.name, name)))) > 0;
}

/** Per group named by a schedule: how many schedules name it. */
export async function countSchedulesPerGroup(db: Db): Promise<{ group: string; schedules: number }[]> {
  const { schedules } = tablesOf(db);
  const rows = await run(
    db,
    db.select({ group: schedules.concurrencyGroup, schedules: count() }).from(schedules).where(isNotNull(schedules.concurrencyGroup)).groupBy(schedules.concurrencyGroup),
  );
  return rows.map((r) => ({ group: r.group!, schedules: Number(r.schedules) }));
}

/** Per group: its tasks running and queued now. */
export async function countActiveTasksPerGroup(db: Db): Promise<{ group: string; status: "running" | "queued"; n: number }[]> {
  const { tasks } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ group: tasks.concurrencyGroup, status: tasks.status, n: count() })
      .from(tasks)
      .where(and(inArray(tasks.status, ["running", "queued"]), isNotNull(tasks.concurrencyGroup)))
      .groupBy(tasks.concurrencyGroup, tasks.status),
  );
  return rows.map((r) => ({ group: r.group!, status: r.status as "running" | "queued", n: Number(r.n) }));
}

/** Tasks of group `name` running now (every runner). */
export async function countRunningInGroup(db: Db, name: string): Promise<number> {
  const { tasks } = tablesOf(db);
  const row = await first(db, db.select({ n: count() }).from(tasks).where(and(eq(tasks.status, "running"), eq(tasks.concurrencyGroup, name))));
  return Number(row?.n ?? 0);
}
