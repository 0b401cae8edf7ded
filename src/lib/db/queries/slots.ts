import "server-only";
import { and, asc, count, desc, eq, getTableColumns, isNull, lte, ne, or, sql, type Column, type Placeholder, type SQL, type WithSubquery } from "drizzle-orm";
import type { Db } from "../client";
import { cachedQuery, prepared, sqliteCall } from "../prepared";
import type { TaskRow } from "../schema";
import { affected, first, lockInTransaction, preparedAll, rowsUnderLock, run, tablesOf } from "../sql";

/**
 * The key of the transaction-level advisory lock every PostgreSQL claim takes before it
 * counts running tasks (ADR 0012). Any fixed bigint works; this is "agcr" "cap!" in ASCII.
 */
export const CAP_LOCK_KEY = 0x61676372_63617021n;

/**
 * The runtime a task runs on: its own `runtime_id`, or — null, "the default at fire time" —
 * the runtime marked default now (the same resolution as the launch, runtimes/registry.ts).
 */
const SQLITE_TASK_RUNTIME = `COALESCE(tasks.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default = 1 LIMIT 1))`;

/**
 * Runtime pinning (issue 14 item 4): the task's runtime requires no label the claiming runner
 * lacks — every entry of its `config.runnerLabels` is in `@labels` (the runner's
 * AGENTCRON_RUNNER_LABELS as a JSON array). A runtime without runnerLabels (or a task whose
 * runtime row is gone) needs none.
 */
const SQLITE_LABELS_OK = `NOT EXISTS (
    SELECT 1 FROM runtimes AS rt, json_each(rt.config, '$.runnerLabels') AS l
    WHERE rt.id = ${SQLITE_TASK_RUNTIME}
      AND l.value NOT IN (SELECT value FROM json_each(@labels)))`;

/**
 * A concurrency group's cap (issue 12 item 4): the task names no group, or its group has no
 * cap row, or fewer of the group's tasks run than the cap. The group is stored on the task at
 * creation (`tasks.concurrency_group`), so no join to schedules is needed.
 */
const SQLITE_GROUP_OK = `(tasks.concurrency_group IS NULL OR NOT EXISTS (
    SELECT 1 FROM concurrency_groups AS g WHERE g.name = tasks.concurrency_group
      AND (SELECT COUNT(*) FROM tasks AS gr WHERE gr.status = 'running' AND gr.concurrency_group = g.name) >= g.max_concurrent))`;

/**
 * The runtime's cap (`config.maxConcurrent`, issue 12 item 4): absent, or fewer tasks running
 * on that runtime (tasks without a runtime count as the default's) than the cap.
 */
const SQLITE_RUNTIME_CAP_OK = `NOT EXISTS (
    SELECT 1 FROM runtimes AS rc WHERE rc.id = ${SQLITE_TASK_RUNTIME}
      AND json_extract(rc.config, '$.maxConcurrent') IS NOT NULL
      AND (SELECT COUNT(*) FROM tasks AS rr WHERE rr.status = 'running'
           AND COALESCE(rr.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default = 1 LIMIT 1)) = rc.id)
          >= json_extract(rc.config, '$.maxConcurrent'))`;

/** PostgreSQL spelling of SQLITE_GROUP_OK. */
const PG_GROUP_OK = sql`(tasks.concurrency_group IS NULL OR NOT EXISTS (
    SELECT 1 FROM concurrency_groups AS g WHERE g.name = tasks.concurrency_group
      AND (SELECT COUNT(*) FROM tasks AS gr WHERE gr.status = 'running' AND gr.concurrency_group = g.name) >= g.max_concurrent))`;

/** PostgreSQL spelling of SQLITE_RUNTIME_CAP_OK. */
const PG_RUNTIME_CAP_OK = sql`NOT EXISTS (
    SELECT 1 FROM runtimes AS rc WHERE rc.id = COALESCE(tasks.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default LIMIT 1))
      AND (rc.config ->> 'maxConcurrent') IS NOT NULL
      AND (SELECT COUNT(*) FROM tasks AS rr WHERE rr.status = 'running'
           AND COALESCE(rr.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default LIMIT 1)) = rc.id)
          >= (rc.config ->> 'maxConcurrent')::numeric)`;

/** A SQLite condition written with `@labels` as a drizzle fragment whose `@labels` is `param`. */
function withLabelsParam(text: string, param: unknown): SQL {
  const [before, after] = text.split("@labels");
  return sql`${sql.raw(before)}${param}${sql.raw(after)}`;
}

/** PostgreSQL spelling of SQLITE_LABELS_OK: jsonb containment (`<@`) of the runtime's labels in the runner's. */
function pgLabelsOk(labels: readonly string[] | Placeholder): SQL {
  const json = Array.isArray(labels) ? JSON.stringify(labels) : labels;
  return sql`NOT EXISTS (
    SELECT 1 FROM runtimes AS rt
    WHERE rt.id = COALESCE(tasks.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default LIMIT 1))
      AND NOT (COALESCE(rt.config -> 'runnerLabels', '[]'::jsonb) <@ ${json}::jsonb))`;
}

/**
 * SQLite's claim: ONE conditional UPDATE. SQLite serializes writers, so the COUNT in the
 * WHERE and the write are one atomic step across connections and processes sharing the file.
 */
const SQLITE_CLAIM = `
UPDATE tasks SET
  status = 'running', slot_claimed_at = @now, started_at = @now, heartbeat_at = @now,
  lease_expires_at = @now + COALESCE(max_run_duration_sec, @defaultLeaseSec) * 1000,
  runner_id = @runnerId, pressure_held_since = NULL, forced = @forced
WHERE id = @taskId AND status = 'queued'
  AND (not_before IS NULL OR not_before <= @now)
  AND (@forced = 1 OR (SELECT COUNT(*) FROM tasks WHERE status = 'running') < @cap)
  AND (@forced = 1 OR (SELECT COUNT(*) FROM tasks WHERE status = 'running' AND runner_id = @runnerId) < @runnerCap)
  AND (parent_task_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM tasks AS p WHERE p.id = tasks.parent_task_id AND p.agent_process_groups IS NOT NULL))
  AND (@serialize = 0 OR schedule_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM tasks AS r WHERE r.status = 'running' AND r.schedule_id = tasks.schedule_id))
  AND (@forced = 1 OR ${SQLITE_GROUP_OK})
  AND (@forced = 1 OR ${SQLITE_RUNTIME_CAP_OK})
  AND ${SQLITE_LABELS_OK}`;

/** What a claim needs (see scheduler/slot-claim.ts for the rule). */
export interface ClaimTaskInput {
  taskId: string;
  runnerId: string;
  /** UTC ms. */
  now: number;
  /** maxConcurrent: the cap over every runner. */
  cap: number;
  /** This runner's capacity (AGENTCRON_RUNNER_CAPACITY): most tasks running on `runnerId`; default `cap`. */
  runnerCap?: number;
  /** Lease length (s) for a task without its own maxRunDurationSec. */
  defaultLeaseSec: number;
  /**
   * The claiming runner's labels (AGENTCRON_RUNNER_LABELS): a task whose runtime is pinned to
   * labels (config.runnerLabels) is claimed only by a runner having all of them, forced or not.
   * Default: none (only unpinned runtimes).
   */
  runnerLabels?: readonly string[];
  /** Don't start while another task of the same schedule runs. */
  serialize: boolean;
  /** Skip the cap check and stamp `forced`. */
  force: boolean;
}

/**
 * Moves one queued task to `running` when the cap (and the other conditions) allow;
 * true when this call claimed it.
 *
 * SQLite: the single conditional UPDATE above (prepared once per connection).
 * PostgreSQL (READ COMMITTED, where a COUNT inside the UPDATE is NOT atomic: two
 * transactions both see cap-1 running and both claim): the claim's transaction first takes
 * `pg_advisory_xact_lock(CAP_LOCK_KEY)`, held until it commits, so claims are serialized
 * across every runner; each statement after the lock sees every earlier claim committed
 * (ADR 0012). Inside a caller's transaction (a chat-pressure drain, Run now) the lock is
 * taken there and held to its commit; otherwise the lock and the claim are one round trip and
 * one implicit transaction (rowsUnderLock, ADR 0032).
 */
export async function claimTask(db: Db, input: ClaimTaskInput): Promise<boolean> {
  if (db.$dialect === "sqlite") {
    const params = {
      taskId: input.taskId,
      runnerId: input.runnerId,
      now: input.now,
      cap: input.cap,
      runnerCap: input.runnerCap ?? input.cap,
      defaultLeaseSec: input.defaultLeaseSec,
      serialize: input.serialize ? 1 : 0,
      forced: input.force ? 1 : 0,
      labels: JSON.stringify(input.runnerLabels ?? []),
    };
    return sqliteCall(db, () => prepared(db, SQLITE_CLAIM).run(params).changes === 1);
  }
  const claimed = await rowsUnderLock<{ id: string }>(
    db,
    "claim-task",
    CAP_LOCK_KEY,
    sql`UPDATE tasks SET
      status = 'running', slot_claimed_at = ${input.now}, started_at = ${input.now}, heartbeat_at = ${input.now},
      lease_expires_at = ${input.now}::bigint + COALESCE(max_run_duration_sec, ${input.defaultLeaseSec}::integer)::bigint * 1000,
      runner_id = ${input.runnerId}, pressure_held_since = NULL, forced = ${input.force}
    WHERE id = ${input.taskId} AND status = 'queued'
      AND (not_before IS NULL OR not_before <= ${input.now})
      ${input.force ? sql`` : sql`AND (SELECT COUNT(*) FROM tasks WHERE status = 'running') < ${input.cap}
        AND (SELECT COUNT(*) FROM tasks WHERE status = 'running' AND runner_id = ${input.runnerId}) < ${input.runnerCap ?? input.cap}
        AND ${PG_GROUP_OK} AND ${PG_RUNTIME_CAP_OK}`}
      AND (parent_task_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM tasks AS p WHERE p.id = tasks.parent_task_id AND p.agent_process_groups IS NOT NULL))
      ${input.serialize ? sql`AND (schedule_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM tasks AS r WHERE r.status = 'running' AND r.schedule_id = tasks.schedule_id))` : sql``}
      AND ${pgLabelsOk([...(input.runnerLabels ?? [])])}
    RETURNING id AS "id"`,
  );
  return claimed.length === 1;
}

/**
 * PostgreSQL: takes the cap's transaction-level advisory lock (ADR 0012) on a transaction
 * handle; it is released when that transaction commits or rolls back. Idempotent within a
 * transaction (pg counts re-entries; all are released together at its end).
 */
export async function lockCap(tx: Db): Promise<void> {
  if (tx.$dialect !== "pg") return;
  await lockInTransaction(tx, CAP_LOCK_KEY);
}

/** Tasks holding a slot now (status `running`, every runner). */
export async function countRunning(db: Db): Promise<number> {
  if (db.$dialect === "sqlite") return sqliteCall(db, () => (prepared(db, "SELECT COUNT(*) AS n FROM tasks WHERE status = 'running'").get() as { n: number }).n);
  return countStatus(db, "running");
}

/** Queued tasks. */
export async function countQueued(db: Db): Promise<number> {
  if (db.$dialect === "sqlite") return sqliteCall(db, () => (prepared(db, "SELECT COUNT(*) AS n FROM tasks WHERE status = 'queued'").get() as { n: number }).n);
  return countStatus(db, "queued");
}

async function countStatus(db: Db, status: "running" | "queued"): Promise<number> {
  const { tasks } = tablesOf(db);
  const row = await first(db, db.select({ n: count() }).from(tasks).where(eq(tasks.status, status)));
  return Number(row?.n ?? 0);
}

/**
 * What a drain decides a candidate on: its id, schedule, root source (manual runs skip the
 * fire-time and budget checks and are never held by chat pressure) and first chat-pressure
 * hold. The claimed tasks' whole rows come from the claim (PostgreSQL's batch claim, RETURNING)
 * or are read after it (selectClaimedTasks): on PostgreSQL, reading 44 columns for every
 * candidate (up to 4 × the free slots then, most of them claimed by other runners) cost both
 * sides more than the claim itself (ADR 0032).
 */
export type DrainTask = Pick<TaskRow, "id" | "scheduleId" | "rootSourceType" | "pressureHeldSince">;

/** A drain candidate: the queued task and its schedule's overlap policy and status (null: no schedule row). */
export interface DrainCandidate {
  task: DrainTask;
  overlapPolicy: string | null;
  scheduleStatus: string | null;
}

/**
 * The whole rows of tasks a drain just claimed (`ids`, any order), read after the claim by
 * primary key: one statement, prepared once per connection (named on PostgreSQL). For the
 * claims that don't return their rows: SQLite's, and one-by-one claims under chat pressure.
 */
export async function selectClaimedTasks(db: Db, ids: readonly string[]): Promise<TaskRow[]> {
  if (!ids.length) return [];
  return preparedAll<TaskRow>(
    db,
    "claimed-tasks",
    (d) => {
      const { tasks } = tablesOf(d);
      const idList = d.$dialect === "pg" ? sql`= ANY(${sql.placeholder("ids")}::text[])` : sql`IN (SELECT value FROM json_each(${sql.placeholder("ids")}))`;
      return d.select().from(tasks).where(sql`${tasks.id} ${idList}`) as unknown as { prepare(): { all(params?: Record<string, unknown>): TaskRow[] } };
    },
    { ids: db.$dialect === "pg" ? [...ids] : JSON.stringify(ids) },
  );
}

/**
 * Up to `limit` queued tasks startable at `now` (notBefore passed), FIFO by (plannedAt,
 * createdAt), leaving out tasks whose schedule has a running task unless it allows overlap,
 * and tasks whose runtime is pinned to labels this runner lacks (`runnerLabels`, see
 * ClaimTaskInput): another runner's work never fills this runner's batch.
 * SQLite: prepared once per connection.
 */
export async function selectDrainCandidates(db: Db, now: number, limit: number, runnerLabels: readonly string[] = []): Promise<DrainCandidate[]> {
  if (db.$dialect === "sqlite") {
    const q = cachedQuery(db, "drain-candidates", () => drainCandidatesQuery(db, sql.placeholder("now"), sql.placeholder("limit"), sql.placeholder("labels")).prepare());
    return sqliteCall(db, () => q.all({ now, limit, labels: JSON.stringify(runnerLabels) }));
  }
  return run(db, drainCandidatesQuery(db, now, limit, null, runnerLabels));
}

/** How many candidates a PostgreSQL drain reads for `free` slots (selectPgDrainBatch computes the same in SQL). */
export function pgDrainLimit(free: number, batch: number, slack: number): number {
  return free <= 0 ? 0 : Math.min(batch, Math.max(slack, 2 * free));
}

/**
 * PostgreSQL's drain read (issue 14 perf, ADR 0023): the running count (all runners) and the
 * candidates of selectDrainCandidates in ONE statement, read before the cap's lock and outside
 * the drain's transaction. The limit is computed in SQL from the same snapshot's count —
 * `pgDrainLimit(cap − running, batch, slack)`: 0 when the cap is full, else
 * min(batch, max(slack, 2 × free)) — so the count costs no round trip of its own. The count
 * only sizes the read; the claim (claimBatch, under the lock) checks the cap again.
 * Returns `running` (the count this statement saw; null when it returned no candidate) and the candidates.
 */
export async function selectPgDrainBatch(
  db: Db,
  input: { now: number; cap: number; batch: number; slack: number; runnerLabels?: readonly string[] },
): Promise<{ running: number | null; candidates: DrainCandidate[] }> {
  if (db.$dialect !== "pg") throw new Error("selectPgDrainBatch is PostgreSQL's drain read");
  // Every drain of every runner reads it: built once per pool and run as a named prepared
  // statement (preparedAll), so each connection parses and plans it once — planning this
  // query cost 1.1 ms a call, the statement 1.75 → 0.46 ms round trip (2026-12-03).
  const res = await preparedAll(
    db,
    "pg-drain-read",
    (d) => {
      // The running count, read ONCE: the column and the limit's two uses read one CTE. Written
      // as three scalar subqueries it was counted three times a read, and the count was most of
      // the read's buffer reads (each `running` index entry of a finished run stays until vacuum:
      // 3,060 entries for 20 running, 116 buffers a count; auto_explain 2026-12-04). The status is
      // a literal: as a parameter the named statement's generic plan scanned the whole table.
      const { tasks } = tablesOf(d);
      const running = d.$with("rn").as(d.select({ n: sql<number>`COUNT(*)`.as("n") }).from(tasks).where(sql`${tasks.status} = 'running'`));
      const runningSql = sql<number>`(SELECT n FROM rn)`;
      const free = sql`(${sql.placeholder("cap")}::integer - ${runningSql})`;
      // drizzle's limit() takes a number or placeholder; an SQL fragment is embedded as is (pg-core dialect).
      const limit = sql`(CASE WHEN ${free} <= 0 THEN 0 ELSE LEAST(${sql.placeholder("batch")}::integer, GREATEST(${sql.placeholder("slack")}::integer, 2 * ${free})) END)`;
      return drainCandidatesQuery(d, sql.placeholder("now"), limit, null, sql.placeholder("labels"), { column: runningSql, cte: running }) as unknown as {
        prepare(): { all(params?: Record<string, unknown>): (DrainCandidate & { running: number })[] };
      };
    },
    { now: input.now, cap: input.cap, batch: input.batch, slack: input.slack, labels: JSON.stringify(input.runnerLabels ?? []) },
  );
  return {
    running: res.length ? Number(res[0].running) : null,
    candidates: res.map(({ task, overlapPolicy, scheduleStatus }) => ({ task, overlapPolicy, scheduleStatus })),
  };
}

/**
 * selectDrainCandidates' query, built once for both dialects; `running` adds a `running` column
 * read from a CTE (selectPgDrainBatch). SQLite takes `labelsParam`, PostgreSQL the `runnerLabels` list.
 */
function drainCandidatesQuery(
  db: Db,
  nowParam: unknown,
  limitParam: unknown,
  labelsParam: unknown,
  runnerLabels: readonly string[] | Placeholder = [],
  running?: { column: SQL<number>; cte: WithSubquery },
) {
  const { tasks, schedules } = tablesOf(db);
  return (running ? db.with(running.cte) : db)
    .select({
      task: { id: tasks.id, scheduleId: tasks.scheduleId, rootSourceType: tasks.rootSourceType, pressureHeldSince: tasks.pressureHeldSince },
      overlapPolicy: schedules.overlapPolicy,
      scheduleStatus: schedules.status,
      running: running?.column ?? sql<number>`0`,
    })
    .from(tasks)
    .leftJoin(schedules, eq(schedules.id, tasks.scheduleId))
    .where(
      and(
        eq(tasks.status, "queued"),
        or(isNull(tasks.notBefore), lte(tasks.notBefore, nowParam as number)),
        // A schedule with a running task can't start another unless it allows overlap.
        sql`(${schedules.overlapPolicy} IS NULL OR ${schedules.overlapPolicy} = 'allow_all' OR NOT EXISTS (
          SELECT 1 FROM tasks AS r WHERE r.schedule_id = ${tasks.scheduleId} AND r.status = 'running'))`,
        db.$dialect === "pg" ? pgLabelsOk(runnerLabels) : withLabelsParam(SQLITE_LABELS_OK, labelsParam),
        // A task whose group or runtime is at its cap can't start now: leave it out, so it
        // doesn't fill the batch ahead of other groups' startable tasks (FIFO within what can run).
        db.$dialect === "pg" ? PG_GROUP_OK : sql.raw(SQLITE_GROUP_OK),
        db.$dialect === "pg" ? PG_RUNTIME_CAP_OK : sql.raw(SQLITE_RUNTIME_CAP_OK),
      ),
    )
    // Ties (occurrences of one instant) in schedule-id order, as planning inserts them: the same on both dialects.
    .orderBy(asc(tasks.plannedAt), asc(tasks.createdAt), asc(tasks.scheduleId), asc(tasks.id))
    .limit(limitParam as number);
}

/**
 * The fire-time skip: a queued task becomes `skipped` with `reason`, guarded on
 * `status='queued'`. True when it was skipped by this call.
 */
export async function skipQueuedTask(db: Db, taskId: string, reason: string, now: number): Promise<boolean> {
  const { tasks } = tablesOf(db);
  return (
    (await affected(
      db,
      db.update(tasks).set({ status: "skipped", skippedReason: reason, finishedAt: now }).where(and(eq(tasks.id, taskId), eq(tasks.status, "queued"))),
    )) === 1
  );
}

/** Stamps the first instant chat pressure held a task (never overwritten). */
export async function markPressureHeld(db: Db, taskId: string, now: number): Promise<void> {
  const { tasks } = tablesOf(db);
  await run(db, db.update(tasks).set({ pressureHeldSince: now }).where(and(eq(tasks.id, taskId), isNull(tasks.pressureHeldSince))));
}

/** Queued tasks not rooted in a manual run that are due at `now` (the starts chat pressure holds back). */
export async function countDueNonManualQueued(db: Db, now: number): Promise<number> {
  const { tasks } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ n: count() })
      .from(tasks)
      .where(and(eq(tasks.status, "queued"), ne(tasks.rootSourceType, "manual"), or(isNull(tasks.notBefore), lte(tasks.notBefore, now)))),
  );
  return Number(row?.n ?? 0);
}

/** The running tasks' schedule, start and lease end (UTC ms), for the slot ETA. */
export async function selectRunningTimes(db: Db): Promise<{ scheduleId: string | null; startedAt: number | null; leaseExpiresAt: number | null }[]> {
  const { tasks } = tablesOf(db);
  return run(db, db.select({ scheduleId: tasks.scheduleId, startedAt: tasks.startedAt, leaseExpiresAt: tasks.leaseExpiresAt }).from(tasks).where(eq(tasks.status, "running")));
}

/** Mean duration (ms) of a schedule's last `n` firings, or null without history. */
export async function selectRecentAvgDurationMs(db: Db, scheduleId: string, n: number): Promise<number | null> {
  const { scheduleFiringMetrics: m } = tablesOf(db);
  const recent = db.select({ d: m.durationMs }).from(m).where(eq(m.scheduleId, scheduleId)).orderBy(desc(m.firedAt)).limit(n).as("recent");
  const row = await first(db, db.select({ avg: sql<number | null>`AVG(${recent.d})` }).from(recent));
  return row?.avg == null ? null : Number(row.avg);
}


/** One drain's batch claim (claimBatch): a single claim's inputs, with candidates instead of one task. */
export interface ClaimBatchInput extends Omit<ClaimTaskInput, "taskId" | "serialize" | "force"> {
  /**
   * The tasks to try, in FIFO order (the drain's candidates after its own checks), each with
   * `serialize` (don't start while another task of its schedule runs; overlap policy ≠ allow_all).
   * The caller passes at most one serialized task per schedule.
   */
  candidates: readonly { taskId: string; serialize: boolean }[];
}

/*
 * The batch claim (ADR "claim-batching", issue 14 item 7): ONE UPDATE claims, among the given
 * candidates in FIFO order, the longest prefix-by-rank that fits every cap:
 *   eligible  — still queued, notBefore passed, no live agents on its parent, its schedule not
 *               busy when serialized, its runtime's labels held by this runner (as claimTask);
 *   g_ok      — ranked per concurrency group (ROW_NUMBER over the FIFO order); kept while
 *               running-in-group + rank ≤ the group's cap (no cap row: kept);
 *   r_ok      — of those, ranked per runtime (a null runtime is the default's); kept while
 *               running-on-runtime + rank ≤ config.maxConcurrent (absent: kept);
 *   o         — of those, ranked overall; claimed while running + rank ≤ cap and
 *               running-on-this-runner + rank ≤ runnerCap.
 * A task held by its group or runtime is dropped before the overall rank, so it doesn't hold
 * later tasks of other groups (FIFO within what can run). A task dropped by its runtime still
 * took a rank in its group: conservative (a cap is never exceeded; the group's next task
 * waits for the next pass). SQLite: atomic (one writer). PostgreSQL: under the cap's
 * advisory lock, taken by the caller's transaction (ADR 0012), so the counts see every claim.
 */
const SQLITE_CLAIM_BATCH = `
WITH cand AS (
  SELECT json_extract(c.value, '$[0]') AS id, c.key AS ord, json_extract(c.value, '$[1]') AS ser FROM json_each(@cands) AS c
), eligible AS (
  -- CROSS JOIN: SQLite keeps the candidates as the outer loop (a primary-key lookup each),
  -- instead of scanning tasks with the JSON list inside.
  SELECT tasks.id AS id, cand.ord AS ord, tasks.concurrency_group AS grp, ${SQLITE_TASK_RUNTIME} AS rt
  FROM cand CROSS JOIN tasks
  WHERE tasks.id = cand.id AND tasks.status = 'queued'
    AND (tasks.not_before IS NULL OR tasks.not_before <= @now)
    AND (tasks.parent_task_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM tasks AS p WHERE p.id = tasks.parent_task_id AND p.agent_process_groups IS NOT NULL))
    AND (cand.ser = 0 OR tasks.schedule_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM tasks AS r WHERE r.status = 'running' AND r.schedule_id = tasks.schedule_id))
    AND ${SQLITE_LABELS_OK}
), g AS (
  SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.grp ORDER BY e.ord) AS grank FROM eligible AS e
), g_ok AS (
  SELECT g.* FROM g LEFT JOIN concurrency_groups AS cg ON cg.name = g.grp
  WHERE cg.name IS NULL
     OR g.grank + (SELECT COUNT(*) FROM tasks AS gr WHERE gr.status = 'running' AND gr.concurrency_group = g.grp) <= cg.max_concurrent
), r AS (
  SELECT g_ok.*, ROW_NUMBER() OVER (PARTITION BY g_ok.rt ORDER BY g_ok.ord) AS rrank FROM g_ok
), r_ok AS (
  SELECT r.* FROM r LEFT JOIN runtimes AS rc ON rc.id = r.rt
  WHERE json_extract(rc.config, '$.maxConcurrent') IS NULL
     OR r.rrank + (SELECT COUNT(*) FROM tasks AS rr WHERE rr.status = 'running'
          AND COALESCE(rr.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default = 1 LIMIT 1)) = r.rt)
        <= json_extract(rc.config, '$.maxConcurrent')
), o AS (
  SELECT r_ok.id AS id, ROW_NUMBER() OVER (ORDER BY r_ok.ord) AS orank FROM r_ok
)
UPDATE tasks SET
  status = 'running', slot_claimed_at = @now, started_at = @now, heartbeat_at = @now,
  lease_expires_at = @now + COALESCE(max_run_duration_sec, @defaultLeaseSec) * 1000,
  runner_id = @runnerId, pressure_held_since = NULL, forced = 0
WHERE id IN (
  SELECT o.id FROM o
  WHERE o.orank + (SELECT COUNT(*) FROM tasks AS a WHERE a.status = 'running') <= @cap
    AND o.orank + (SELECT COUNT(*) FROM tasks AS m WHERE m.status = 'running' AND m.runner_id = @runnerId) <= @runnerCap)
RETURNING id`;

/**
 * Claims, in ONE statement, the candidates (FIFO order) that fit every cap — the global cap,
 * this runner's capacity, each task's concurrency group and runtime caps — and its other
 * conditions (see SQLITE_CLAIM_BATCH above): a drain's whole batch instead of one UPDATE
 * per task (issue 14 item 7). Returns the ids claimed, in FIFO order, and (PostgreSQL, when
 * it claimed any) `runningBefore`: the tasks running on every runner right before the claim,
 * as its `running` CTE counted them under the lock — so the drain takes no count of its own
 * after the lock (ADR 0023). SQLite: null (the drain's own count, taken in the same write
 * transaction, is exact). And `rows`: on PostgreSQL the claimed tasks' whole rows, as the
 * claim's RETURNING gave them (any order; ADR 0032 amendment); SQLite: null (read them with
 * selectClaimedTasks). Never forced.
 * PostgreSQL: takes the cap's advisory lock (ADR 0012) itself — outside a transaction the lock
 * and the claim are one round trip, one implicit transaction (rowsUnderLock, ADR 0032); inside
 * the caller's transaction the lock is held to its commit.
 */
export async function claimBatch(db: Db, input: ClaimBatchInput): Promise<{ ids: string[]; runningBefore: number | null; rows: TaskRow[] | null }> {
  if (!input.candidates.length) return { ids: [], runningBefore: null, rows: null };
  let runningBefore: number | null = null;
  let claimedRows: TaskRow[] | null = null;
  const cands = JSON.stringify(input.candidates.map((c) => [c.taskId, c.serialize ? 1 : 0]));
  const runnerCap = input.runnerCap ?? input.cap;
  const labels = JSON.stringify(input.runnerLabels ?? []);
  let ids: string[];
  if (db.$dialect === "sqlite") {
    const params = { cands, now: input.now, defaultLeaseSec: input.defaultLeaseSec, runnerId: input.runnerId, cap: input.cap, runnerCap, labels };
    ids = await sqliteCall(db, () => (prepared(db, SQLITE_CLAIM_BATCH).all(params) as { id: string }[]).map((r) => r.id));
  } else {
    const taskRuntime = sql`COALESCE(tasks.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default LIMIT 1))`;
    // Every drain runs it: prepared once per connection, and run with the cap's lock in ONE
    // round trip outside a transaction (rowsUnderLock, ADR 0032).
    const { tasks } = tablesOf(db);
    const res = await rowsUnderLock<Record<string, unknown>>(
      db,
      "claim-batch",
      CAP_LOCK_KEY,
      sql`WITH running AS (
        SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE runner_id = ${input.runnerId}) AS mine FROM tasks WHERE status = 'running'
      ), cand AS (
        SELECT c.v ->> 0 AS id, c.ord AS ord, (c.v ->> 1)::int AS ser FROM jsonb_array_elements(${cands}::jsonb) WITH ORDINALITY AS c(v, ord)
      ), picked AS MATERIALIZED (
        -- The candidates' rows by primary key and nothing else. From the jsonb CTE alone the
        -- planner can't see how few they are and, with stale statistics (a burst of queued
        -- tasks), hashed every queued row: 25-80 ms under the cap's lock; with the status test
        -- beside the id list it ANDed a bitmap of every queued row's index entries (16 ms at
        -- 60,000 queued, auto_explain 2026-12-03). Materialized, the id lookup is planned alone.
        SELECT t.id, t.status, t.not_before, t.parent_task_id, t.schedule_id, t.concurrency_group, t.runtime_id
        FROM tasks AS t WHERE t.id = ANY(${sql.param(input.candidates.map((c) => c.taskId))}::text[])
          -- A full cap (another runner claimed first) ends the statement here, a one-time
          -- filter, instead of ranking every candidate to claim none (2 of 3 claims under
          -- contention, 1,100 buffer reads each; pg_stat_statements 2026-12-03).
          AND (SELECT total FROM running) < ${input.cap} AND (SELECT mine FROM running) < ${runnerCap}
      ), eligible AS (
        SELECT tasks.id AS id, cand.ord AS ord, tasks.concurrency_group AS grp, ${taskRuntime} AS rt
        FROM cand JOIN picked AS tasks ON tasks.id = cand.id
        WHERE tasks.status = 'queued'
          AND (tasks.not_before IS NULL OR tasks.not_before <= ${input.now})
          AND (tasks.parent_task_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM tasks AS p WHERE p.id = tasks.parent_task_id AND p.agent_process_groups IS NOT NULL))
          AND (cand.ser = 0 OR tasks.schedule_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM tasks AS r WHERE r.status = 'running' AND r.schedule_id = tasks.schedule_id))
          AND ${pgLabelsOk(input.runnerLabels ?? [])}
      ), g AS (
        SELECT e.*, ROW_NUMBER() OVER (PARTITION BY e.grp ORDER BY e.ord) AS grank FROM eligible AS e
      ), g_ok AS (
        SELECT g.* FROM g LEFT JOIN concurrency_groups AS cg ON cg.name = g.grp
        WHERE cg.name IS NULL
           OR g.grank + (SELECT COUNT(*) FROM tasks AS gr WHERE gr.status = 'running' AND gr.concurrency_group = g.grp) <= cg.max_concurrent
      ), r AS (
        SELECT g_ok.*, ROW_NUMBER() OVER (PARTITION BY g_ok.rt ORDER BY g_ok.ord) AS rrank FROM g_ok
      ), r_ok AS (
        SELECT r.* FROM r LEFT JOIN runtimes AS rc ON rc.id = r.rt
        WHERE (rc.config ->> 'maxConcurrent') IS NULL
           OR r.rrank + (SELECT COUNT(*) FROM tasks AS rr WHERE rr.status = 'running'
                AND COALESCE(rr.runtime_id, (SELECT d.id FROM runtimes AS d WHERE d.is_default LIMIT 1)) = r.rt)
              <= (rc.config ->> 'maxConcurrent')::numeric
      ), o AS (
        SELECT r_ok.id AS id, ROW_NUMBER() OVER (ORDER BY r_ok.ord) AS orank FROM r_ok
      )
      UPDATE tasks SET
        status = 'running', slot_claimed_at = ${input.now}, started_at = ${input.now}, heartbeat_at = ${input.now},
        lease_expires_at = ${input.now}::bigint + COALESCE(max_run_duration_sec, ${input.defaultLeaseSec}::integer)::bigint * 1000,
        runner_id = ${input.runnerId}, pressure_held_since = NULL, forced = false
      FROM o, running
      WHERE tasks.id = o.id AND o.orank + running.total <= ${input.cap} AND o.orank + running.mine <= ${runnerCap}
      RETURNING ${pgTaskRowColumns(tasks)}, running.total AS "runningBefore"`,
    );
    const columns = Object.entries(getTableColumns(tasks));
    claimedRows = res.map((r) => pgTaskRow(columns, r));
    ids = claimedRows.map((r) => r.id);
    if (res.length) runningBefore = Number(res[0].runningBefore);
  }
  const order = new Map(input.candidates.map((c, i) => [c.taskId, i]));
  return { ids: ids.sort((a, b) => order.get(a)! - order.get(b)!), runningBefore, rows: claimedRows };
}

/**
 * Every column of `tasks` for a raw PostgreSQL RETURNING, each aliased to its TaskRow field
 * (`tasks.slot_claimed_at AS "slotClaimedAt"`): the batch claim returns the claimed rows whole,
 * so the drain needs no read after it (selectClaimedTasks; one round trip less per claiming
 * drain, issue 14 item 7).
 */
function pgTaskRowColumns(tasks: ReturnType<typeof tablesOf>["tasks"]): SQL {
  return sql.join(
    Object.entries(getTableColumns(tasks)).map(([field, column]) => sql`${sql.raw(`tasks.${column.name}`)} AS ${sql.identifier(field)}`),
    sql`, `,
  );
}

/**
 * A TaskRow from a raw row of pgTaskRowColumns (`columns`: the tasks table's fields and
 * columns, getTableColumns' entries): each field read through its column's own
 * driver mapping, as drizzle's select does (pg has already parsed int8, jsonb and booleans).
 */
function pgTaskRow(columns: [string, Column][], raw: Record<string, unknown>): TaskRow {
  const row: Record<string, unknown> = {};
  for (const [field, column] of columns) {
    const value = raw[field];
    row[field] = value == null ? null : column.mapFromDriverValue(value);
  }
  return row as TaskRow;
}
