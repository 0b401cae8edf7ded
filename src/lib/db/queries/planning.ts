import "server-only";
/**
 * Planning's statements (issue 14): due schedules, the schedule row locked for planning,
 * the occurrence writes (root tasks, overlap skips, the schedule's watermark/counters),
 * re-anchoring after a backward clock step, stranded-schedule repair, clock-jump shifts
 * and the loop's wake-up reads. Times are UTC ms. Both dialects; the planning lock is
 * ADR 0013.
 */
import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, max, ne, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { ScheduleRow, TaskRow } from "../schema";
import { affected, first, jsonNumber, jsonText, namedRows, preparedAll, rows, run, tablesOf } from "../sql";

/** Ids of up to `limit` due active schedules (nextFireAt ≤ now), earliest first; ties by id, so every runner walks them in one order. */
export async function selectDueScheduleIds(db: Db, now: number, limit: number): Promise<string[]> {
  // Every pass reads it: prepared once per SQLite connection (preparedAll).
  const found = await preparedAll(
    db,
    "planning-due",
    (d) => {
      const { schedules } = tablesOf(d);
      return d
        .select({ id: schedules.id })
        .from(schedules)
        .where(and(eq(schedules.status, "active"), isNotNull(schedules.nextFireAt), lte(schedules.nextFireAt, sql.placeholder("now"))))
        .orderBy(asc(schedules.nextFireAt), asc(schedules.id))
        .limit(sql.placeholder("limit"));
    },
    { now, limit },
  );
  return found.map((r) => r.id);
}

/**
 * Namespace (first key) of the transaction-level advisory locks that say "a runner is
 * planning this schedule" on PostgreSQL; the second key is `hashtext(scheduleId)`. An
 * arbitrary constant; two-key locks never collide with the one-key ones (clock steps, cap).
 */
const PLANNING_LOCK_NAMESPACE = 0x41504c4e;

/**
 * The schedule row to plan, read inside the planning transaction `tx` (ADR 0013).
 * PostgreSQL: first the schedule's planning lock (`pg_try_advisory_xact_lock`, held until
 * `tx` ends) — when another runner holds it, `"locked"` at once (that runner plans it; a
 * hash collision of two ids makes the same answer, a 250 ms delay at worst). Then the row
 * itself `FOR NO KEY UPDATE`, waiting for a short write of someone who is not planning (a
 * run's finish writing the schedule's streaks, a retry's insert): such a write used to
 * make the row look "planned elsewhere" to `SKIP LOCKED` and delayed its own runner's next
 * occurrence by PLAN_BUSY_BACKOFF_MS. So exactly one runner plans a schedule at a time and
 * reads the row as the previous planner's commit left it. SQLite: `BEGIN IMMEDIATE` already
 * serializes writers, a plain read (never "locked").
 * Returns undefined when the schedule doesn't exist.
 */
export async function selectScheduleForPlanning(tx: Db, scheduleId: string): Promise<ScheduleRow | "locked" | undefined> {
  const { schedules } = tablesOf(tx);
  const query = tx.select().from(schedules).where(eq(schedules.id, scheduleId)).limit(1);
  if (tx.$dialect !== "pg") return first(tx, query);
  const [lock] = await rows<{ locked: boolean }>(tx, sql`SELECT pg_try_advisory_xact_lock(${PLANNING_LOCK_NAMESPACE}::integer, hashtext(${scheduleId})) AS "locked"`);
  if (!lock?.locked) {
    const exists = await first(tx, tx.select({ id: schedules.id }).from(schedules).where(eq(schedules.id, scheduleId)).limit(1));
    return exists ? "locked" : undefined;
  }
  // The handle is drizzle's pg database typed as SQLite's (client.ts): its select builder has `.for()`.
  return first(tx, (query as unknown as { for(strength: "no key update"): PromiseLike<ScheduleRow[]> }).for("no key update"));
}

/**
 * The due schedule rows a planning pass plans together (ADR 0027), read and locked inside the
 * pass's transaction `tx` in ONE statement, ordered by id. PostgreSQL: the schedules'
 * planning locks (`pg_try_advisory_xact_lock`, the same two-key lock selectScheduleForPlanning
 * takes, held until `tx` ends) are tried over the given ids only (a subquery on the id list,
 * never on the table), and the rows whose lock this runner got are read `FOR NO KEY UPDATE`
 * (as the previous planner's commit left them; a short non-planning write on a row is waited
 * for). A given id not returned is in `busy`: another runner is planning it (or it was deleted
 * since the due read — either way the loop looks at it again after PLAN_BUSY_BACKOFF_MS).
 * Runners waking on the same second so split the due list instead of queueing behind each
 * other. SQLite: one plain read (`BEGIN IMMEDIATE` serializes writers), never busy.
 */
export async function lockSchedulesForPlanning(tx: Db, scheduleIds: readonly string[]): Promise<{ rows: ScheduleRow[]; busy: string[] }> {
  if (!scheduleIds.length) return { rows: [], busy: [] };
  const { schedules } = tablesOf(tx);
  if (tx.$dialect !== "pg") {
    return { rows: await run(tx, tx.select().from(schedules).where(inArray(schedules.id, [...scheduleIds])).orderBy(asc(schedules.id))), busy: [] };
  }
  const ids = sql.join(
    scheduleIds.map((id) => sql`${id}`),
    sql`, `,
  );
  // OFFSET 0 keeps the id list a subquery of its own: the try-lock runs on the listed ids only.
  const mine = sql`(SELECT w.id FROM (SELECT unnest(ARRAY[${ids}]::text[]) AS id OFFSET 0) w WHERE pg_try_advisory_xact_lock(${PLANNING_LOCK_NAMESPACE}::integer, hashtext(w.id)))`;
  const query = tx.select().from(schedules).where(sql`${schedules.id} IN ${mine}`).orderBy(asc(schedules.id));
  // The handle is drizzle's pg database typed as SQLite's (client.ts): its select builder has `.for()`.
  const locked = await run(tx, (query as unknown as { for(strength: "no key update"): PromiseLike<ScheduleRow[]> }).for("no key update"));
  const got = new Set(locked.map((r) => r.id));
  return { rows: locked, busy: scheduleIds.filter((id) => !got.has(id)) };
}

/** The queued and running tasks of several schedules in one read (tasks_schedule_status_idx): id, status, runner, schedule. */
export async function selectActiveTasksOfSchedules(
  db: Db,
  scheduleIds: readonly string[],
): Promise<{ id: string; status: string; runnerId: string | null; scheduleId: string | null }[]> {
  if (!scheduleIds.length) return [];
  const { tasks } = tablesOf(db);
  return run(
    db,
    db
      .select({ id: tasks.id, status: tasks.status, runnerId: tasks.runnerId, scheduleId: tasks.scheduleId })
      .from(tasks)
      .where(and(inArray(tasks.status, ["queued", "running"]), inArray(tasks.scheduleId, [...scheduleIds]))),
  );
}

/**
 * Inserts several root tasks in ONE `INSERT … ON CONFLICT DO NOTHING RETURNING id`: a row
 * whose occurrence already has its root task (the unique index, invariant 1) is left out.
 * Returns the ids of the rows inserted.
 */
export async function insertTasksIfAbsent(db: Db, taskRows: readonly TaskRow[]): Promise<Set<string>> {
  if (!taskRows.length) return new Set();
  const { tasks } = tablesOf(db);
  const inserted = await run(db, db.insert(tasks).values([...taskRows]).onConflictDoNothing().returning({ id: tasks.id }));
  return new Set(inserted.map((r) => r.id));
}

/**
 * Writes several planned schedules' watermark, next fire, firing count and last firing in ONE
 * `UPDATE … SET col = CASE id WHEN … END WHERE id IN (…)` (rows locked by
 * lockSchedulesForPlanning). `status` is left as is (the batched path never completes or
 * expires a schedule: ADR 0027). Times UTC ms.
 */
export async function updatePlannedSchedules(
  tx: Db,
  patches: readonly { id: string; lastPlannedAt: number; nextFireAt: number; firingCount: number; lastFiredAt: number | null }[],
  now: number,
): Promise<number> {
  if (!patches.length) return 0;
  const { schedules } = tablesOf(tx);
  const caseOf = (pick: (p: (typeof patches)[number]) => number | null) =>
    sql`CASE ${schedules.id} ${sql.join(
      patches.map((p) => sql`WHEN ${p.id} THEN CAST(${pick(p)} AS bigint)`),
      sql` `,
    )} END`;
  return affected(
    tx,
    tx
      .update(schedules)
      .set({
        lastPlannedAt: caseOf((p) => p.lastPlannedAt),
        nextFireAt: caseOf((p) => p.nextFireAt),
        firingCount: caseOf((p) => p.firingCount),
        lastFiredAt: caseOf((p) => p.lastFiredAt),
        updatedAt: now,
      })
      .where(inArray(schedules.id, patches.map((p) => p.id))),
  );
}

/** A schedule's queued and running tasks: id, status, runner (tasks_schedule_status_idx). */
export async function selectActiveTasksOfSchedule(db: Db, scheduleId: string): Promise<{ id: string; status: string; runnerId: string | null }[]> {
  const { tasks } = tablesOf(db);
  return run(
    db,
    db
      .select({ id: tasks.id, status: tasks.status, runnerId: tasks.runnerId })
      .from(tasks)
      .where(and(inArray(tasks.status, ["queued", "running"]), eq(tasks.scheduleId, scheduleId))),
  );
}

/** Marks still-queued tasks `skipped` (`cancelled_by_overlap`), finished at `now`. Returns rows changed. */
export async function skipQueuedByOverlap(db: Db, taskIds: readonly string[], now: number): Promise<number> {
  if (!taskIds.length) return 0;
  const { tasks } = tablesOf(db);
  return affected(
    db,
    db
      .update(tasks)
      .set({ status: "skipped", skippedReason: "cancelled_by_overlap", finishedAt: now })
      .where(and(inArray(tasks.id, [...taskIds]), eq(tasks.status, "queued"))),
  );
}

/** The schedule fields one planning pass writes. */
export interface PlannedSchedulePatch {
  lastPlannedAt: number;
  nextFireAt: number | null;
  firingCount: number;
  lastFiredAt: number | null;
  status: ScheduleRow["status"];
  updatedAt: number;
}

/** Writes a planning pass's watermark, next fire, counters and status on the (locked) schedule row. */
export async function updatePlannedSchedule(tx: Db, scheduleId: string, patch: PlannedSchedulePatch): Promise<void> {
  const { schedules } = tablesOf(tx);
  await run(tx, tx.update(schedules).set(patch).where(eq(schedules.id, scheduleId)));
}

/** The newest `plannedAt` among a schedule's root tasks, or null. */
export async function selectNewestRootPlannedAt(db: Db, scheduleId: string): Promise<number | null> {
  const { tasks } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ t: max(tasks.plannedAt) })
      .from(tasks)
      .where(and(eq(tasks.scheduleId, scheduleId), isNull(tasks.parentTaskId), isNotNull(tasks.plannedAt)))
      .limit(1),
  );
  return row?.t ?? null;
}

/** True when the occurrence `plannedAt` of a schedule already has its root task. */
export async function rootTaskExists(db: Db, scheduleId: string, plannedAt: number): Promise<boolean> {
  const { tasks } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.scheduleId, scheduleId), eq(tasks.plannedAt, plannedAt), isNull(tasks.parentTaskId)))
      .limit(1),
  );
  return row != null;
}

/** Active schedules whose `lastPlannedAt` lies after `now` (a backward clock step, ADR 0006). */
export async function selectSchedulesPlannedPast(
  db: Db,
  now: number,
): Promise<(Pick<ScheduleRow, "id" | "timezone" | "lastFiredAt"> & { cronExpression: string })[]> {
  const { schedules } = tablesOf(db);
  // cron_expression IS NOT NULL: a chained-only schedule has no watermark to re-anchor (ADR 0024).
  return run(
    db,
    db
      .select({ id: schedules.id, cronExpression: schedules.cronExpression, timezone: schedules.timezone, lastFiredAt: schedules.lastFiredAt })
      .from(schedules)
      .where(and(eq(schedules.status, "active"), isNotNull(schedules.cronExpression), gt(schedules.lastPlannedAt, now)))
      .orderBy(asc(schedules.id)),
  ) as Promise<(Pick<ScheduleRow, "id" | "timezone" | "lastFiredAt"> & { cronExpression: string })[]>;
}

/** Re-anchors one schedule's watermark to `now` and its next fire to `next`, if its watermark still lies past `now`. Returns rows changed (0 or 1). */
export async function reanchorWatermark(db: Db, scheduleId: string, now: number, next: number): Promise<number> {
  const { schedules } = tablesOf(db);
  return affected(
    db,
    db
      .update(schedules)
      .set({ lastPlannedAt: now, nextFireAt: next, updatedAt: now })
      .where(and(eq(schedules.id, scheduleId), gt(schedules.lastPlannedAt, now))),
  );
}

/** Pauses an active schedule as `invalid_cron`. Returns rows changed (0 when it was no longer active). */
export async function pauseScheduleInvalidCron(db: Db, scheduleId: string, now: number): Promise<number> {
  const { schedules } = tablesOf(db);
  return affected(
    db,
    db
      .update(schedules)
      .set({ status: "paused", pausedReason: "invalid_cron", nextFireAt: null, updatedAt: now })
      .where(and(eq(schedules.id, scheduleId), eq(schedules.status, "active"))),
  );
}

/** Schedules the old cron evaluation may have stranded: active with a cron and no next fire (a cron-less chained schedule has none by design, ADR 0024), and expired ones (stranded-schedules.ts decides). */
export async function selectPossiblyStrandedSchedules(db: Db): Promise<ScheduleRow[]> {
  const { schedules } = tablesOf(db);
  return [
    ...(await run(db, db.select().from(schedules).where(and(eq(schedules.status, "active"), isNull(schedules.nextFireAt), isNotNull(schedules.cronExpression))).orderBy(asc(schedules.id)))),
    ...(await run(db, db.select().from(schedules).where(eq(schedules.status, "expired")).orderBy(asc(schedules.id)))),
  ];
}

/** Reactivates a stranded schedule (if still in `fromStatus`) with its next fire and watermark. Returns rows changed. */
export async function restoreStrandedSchedule(
  db: Db,
  scheduleId: string,
  fromStatus: ScheduleRow["status"],
  patch: { nextFireAt: number; lastPlannedAt: number; updatedAt: number },
): Promise<number> {
  const { schedules } = tablesOf(db);
  return affected(
    db,
    db
      .update(schedules)
      .set({ status: "active", ...patch })
      .where(and(eq(schedules.id, scheduleId), eq(schedules.status, fromStatus))),
  );
}

// ---- Clock jumps (ADR 0006) ----

/** Key of the transaction-level advisory lock that serializes clock-step handling on PostgreSQL (an arbitrary constant). */
const CLOCK_STEP_LOCK_KEY = "7022064838127121920";

/**
 * Serializes clock-step handling across runners for the rest of `tx` (ADR 0013): on
 * PostgreSQL `pg_advisory_xact_lock`, so a second runner that saw the same step reads the
 * first one's `clock_stepped` event (clockStepSeenByOtherRunner) instead of shifting the
 * shared queued rows a second time. SQLite: nothing (`BEGIN IMMEDIATE` serializes).
 */
export async function lockClockStepHandling(tx: Db): Promise<void> {
  if (tx.$dialect !== "pg") return;
  await rows(tx, sql`SELECT pg_advisory_xact_lock(${CLOCK_STEP_LOCK_KEY}::bigint) AS "locked"`);
}

/** Moves a runner's running leases by `shiftMs`. Returns rows changed. */
export async function shiftRunnerLeases(db: Db, runnerId: string, shiftMs: number): Promise<number> {
  const { tasks } = tablesOf(db);
  return affected(
    db,
    db
      .update(tasks)
      .set({ leaseExpiresAt: sql`${tasks.leaseExpiresAt} + ${shiftMs}` })
      .where(and(eq(tasks.status, "running"), eq(tasks.runnerId, runnerId), isNotNull(tasks.leaseExpiresAt))),
  );
}

/**
 * True when another runner on `hostname` already recorded a `clock_stepped` event of about
 * `stepMs` (within `thresholdMs`) created in [fromMs, toMs].
 */
export async function clockStepSeenByOtherRunner(
  db: Db,
  q: { fromMs: number; toMs: number; hostname: string; runnerId: string; stepMs: number; thresholdMs: number },
): Promise<boolean> {
  const { events } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          eq(events.kind, "clock_stepped"),
          sql`${events.createdAt} BETWEEN ${q.fromMs} AND ${q.toMs}`,
          eq(jsonText(db, events.data, "hostname"), q.hostname),
          ne(jsonText(db, events.data, "runnerId"), q.runnerId),
          sql`abs(${jsonNumber(db, events.data, "stepMs")} - ${q.stepMs}) <= ${q.thresholdMs}`,
        ),
      )
      .limit(1),
  );
  return row != null;
}

/** Moves queued tasks' pending retry backoffs (`notBefore` after `after`) and chat-pressure holds by `stepMs`. Returns rows changed (both statements). */
export async function shiftQueuedTimes(db: Db, stepMs: number, after: number): Promise<number> {
  const { tasks } = tablesOf(db);
  const nb = await affected(
    db,
    db
      .update(tasks)
      .set({ notBefore: sql`${tasks.notBefore} + ${stepMs}` })
      .where(and(eq(tasks.status, "queued"), gt(tasks.notBefore, after))),
  );
  const held = await affected(
    db,
    db
      .update(tasks)
      .set({ pressureHeldSince: sql`${tasks.pressureHeldSince} + ${stepMs}` })
      .where(and(eq(tasks.status, "queued"), isNotNull(tasks.pressureHeldSince))),
  );
  return nb + held;
}

// ---- The loop's wake-up reads ----

/** The `limit` earliest next fires of active schedules (id, nextFireAt), earliest first. */
export async function selectEarliestFires(db: Db, limit: number): Promise<{ id: string; nextFireAt: number }[]> {
  return (await preparedAll(
    db,
    "wake-earliest-fires",
    (d) => {
      const { schedules } = tablesOf(d);
      return d
        .select({ id: schedules.id, nextFireAt: schedules.nextFireAt })
        .from(schedules)
        .where(and(eq(schedules.status, "active"), isNotNull(schedules.nextFireAt)))
        .orderBy(asc(schedules.nextFireAt))
        .limit(sql.placeholder("limit"));
    },
    { limit },
  )) as { id: string; nextFireAt: number }[];
}

/** What bounds a runner's next wake besides the next fire (UTC ms each, null = none). */
export interface WakeBounds {
  /** The earliest `notBefore` after `now` among queued tasks (a retry backoff's end). */
  notBefore: number | null;
  /** The earliest lease expiry among this runner's running tasks (the reaper's deadline). */
  leaseExpiry: number | null;
  /** The earliest `pausedUntil` of a paused schedule (it resumes by itself; calendar controls). */
  pausedUntil: number | null;
}

/**
 * The loop's other wake bounds in ONE statement: every pass of every runner arms its wake from
 * them, and on PostgreSQL each read is a round trip (4 runners on per-second schedules: 12 a
 * second, issue 14 lateness). Named on PostgreSQL (planned once per connection, ADR 0026).
 */
export async function selectWakeBounds(db: Db, now: number, runnerId: string): Promise<WakeBounds> {
  const { tasks, schedules } = tablesOf(db);
  const statement = sql`SELECT
    (SELECT min(${tasks.notBefore}) FROM ${tasks} WHERE ${tasks.status} = 'queued' AND ${tasks.notBefore} > ${now}) AS "notBefore",
    (SELECT min(${tasks.leaseExpiresAt}) FROM ${tasks} WHERE ${tasks.status} = 'running' AND ${tasks.runnerId} = ${runnerId}) AS "leaseExpiry",
    (SELECT min(${schedules.pausedUntil}) FROM ${schedules} WHERE ${schedules.status} = 'paused' AND ${schedules.pausedUntil} IS NOT NULL) AS "pausedUntil"`;
  const [row] = db.$dialect === "pg" ? await namedRows<WakeBounds>(db, "wake-bounds", statement) : await rows<WakeBounds>(db, statement);
  return { notBefore: row?.notBefore ?? null, leaseExpiry: row?.leaseExpiry ?? null, pausedUntil: row?.pausedUntil ?? null };
}

/** A task's status and runner (the loop checks its own runs still belong to it), or undefined. */
export async function selectTaskOwnership(db: Db, taskId: string): Promise<{ status: string; runnerId: string | null } | undefined> {
  const { tasks } = tablesOf(db);
  return first(db, db.select({ status: tasks.status, runnerId: tasks.runnerId }).from(tasks).where(eq(tasks.id, taskId)).limit(1));
}
