import "server-only";
import { and, eq, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { FailureReason } from "../constants";
import { cachedQuery, sqliteCall } from "../prepared";
import type { OwnedProcessGroup, ScheduleRow, TaskRow } from "../schema";
import { affected, greatest, preparedAll, run, tablesOf } from "../sql";

/** The terminal state of a run, as the guarded write stores it. */
export interface TerminalWrite {
  taskId: string;
  /** The runner that must still hold the task; null matches only a row without a runner. */
  guardRunnerId: string | null;
  status: "completed" | "failed" | "cancelled";
  failureReason: FailureReason | null;
  error: string | null;
  result: string | null;
  turnCount: number;
  sessionId: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
  /** UTC ms. */
  now: number;
}

/**
 * The guarded terminal write (DESIGN.md invariant 5): only the runner that holds the task
 * (`status='running'` and runner_id equal to the guard, NULL matching NULL — SQLite's
 * `IS`, PostgreSQL's IS NULL / `=` spelled by the builder) can finish it. turnCount never
 * goes down (greatest of the stored and the reported), the session id is kept when the
 * run reported none. True when the row was written.
 */
export async function writeTerminal(db: Db, w: TerminalWrite): Promise<boolean> {
  const { tasks } = tablesOf(db);
  const guard = w.guardRunnerId == null ? isNull(tasks.runnerId) : eq(tasks.runnerId, w.guardRunnerId);
  const n = await affected(
    db,
    db
      .update(tasks)
      .set({
        status: w.status,
        failureReason: w.failureReason,
        error: w.error,
        result: w.result,
        turnCount: greatest(db, tasks.turnCount, sql`${w.turnCount}`),
        sessionId: sql`COALESCE(${w.sessionId}, ${tasks.sessionId})`,
        inputTokens: w.inputTokens,
        outputTokens: w.outputTokens,
        costUsd: w.costUsd,
        finishedAt: w.now,
      })
      .where(and(eq(tasks.id, w.taskId), eq(tasks.status, "running"), guard)),
  );
  return n === 1;
}

/**
 * The ids and lease expiries (UTC ms) of a runner's running tasks: the reaper's scan on every
 * pass. Two columns, not the rows (it needs a whole row only for a task it reaps); built once
 * per connection, named on PostgreSQL (ADR 0026).
 */
export async function selectRunningLeasesOfRunner(db: Db, runnerId: string): Promise<{ id: string; leaseExpiresAt: number | null }[]> {
  return preparedAll(
    db,
    "reaper-running-of-runner",
    (d) => {
      const { tasks } = tablesOf(d);
      return d
        .select({ id: tasks.id, leaseExpiresAt: tasks.leaseExpiresAt })
        .from(tasks)
        .where(and(eq(tasks.status, "running"), eq(tasks.runnerId, sql.placeholder("runnerId"))));
    },
    { runnerId },
  );
}

/** A running task of another runner (or of none), with that runner's liveness columns (null: no runner row). */
export interface OrphanCandidate {
  id: string;
  runnerId: string | null;
  rid: string | null;
  pid: number | null;
  hostKey: string | null;
  processStartTime: number | null;
  heartbeatAt: number | null;
  stoppedAt: number | null;
}

/** Running tasks not held by `me` (recovery's candidates), each with its runner's row. SQLite: prepared once per connection (every pass). */
export async function selectRunningOfOthers(db: Db, me: string): Promise<OrphanCandidate[]> {
  const { tasks, runners } = tablesOf(db);
  const build = (meParam: unknown) =>
    db
      .select({
        id: tasks.id,
        runnerId: tasks.runnerId,
        rid: runners.id,
        pid: runners.pid,
        hostKey: runners.hostKey,
        processStartTime: runners.processStartTime,
        heartbeatAt: runners.heartbeatAt,
        stoppedAt: runners.stoppedAt,
      })
      .from(tasks)
      .leftJoin(runners, eq(runners.id, tasks.runnerId))
      .where(and(eq(tasks.status, "running"), or(isNull(tasks.runnerId), ne(tasks.runnerId, meParam as string))));
  if (db.$dialect === "sqlite") {
    const q = cachedQuery(db, "recovery-running-of-others", () => build(sql.placeholder("me")).prepare());
    return sqliteCall(db, () => q.all({ me }));
  }
  return run(db, build(me));
}

/** A task row's record of the agent processes it may still own (ADR 0005). */
export interface AgentProcessRow {
  id: string;
  status: string;
  runnerId: string | null;
  scheduleId: string | null;
  agentHost: string | null;
  groups: OwnedProcessGroup[] | null;
}

/** Writes the process groups a task's run spawned so far and their host. */
export async function updateAgentProcessGroups(db: Db, taskId: string, groups: readonly OwnedProcessGroup[], host: string): Promise<void> {
  const { tasks } = tablesOf(db);
  await run(db, db.update(tasks).set({ agentProcessGroups: [...groups], agentHost: host }).where(eq(tasks.id, taskId)));
}

/** Clears a task's agent-process record. */
export async function clearAgentProcessRecord(db: Db, taskId: string): Promise<void> {
  const { tasks } = tablesOf(db);
  await run(db, db.update(tasks).set({ agentProcessGroups: null }).where(and(eq(tasks.id, taskId), isNotNull(tasks.agentProcessGroups))));
}

/** Every task that still records agent processes (any status): few rows, through a partial index. SQLite: prepared once per connection (every pass). */
export async function selectAgentProcessRows(db: Db): Promise<AgentProcessRow[]> {
  const { tasks } = tablesOf(db);
  const query = () =>
    db
      .select({ id: tasks.id, status: tasks.status, runnerId: tasks.runnerId, scheduleId: tasks.scheduleId, agentHost: tasks.agentHost, groups: tasks.agentProcessGroups })
      .from(tasks)
      .where(isNotNull(tasks.agentProcessGroups));
  if (db.$dialect === "sqlite") {
    const q = cachedQuery(db, "agent-process-rows", () => query().prepare());
    return sqliteCall(db, () => q.all());
  }
  return run(db, query());
}

/** One streamed agent event to persist. `createdAt`: UTC ms. */
export interface TaskEventInsert {
  type: string;
  payload: Record<string, unknown>;
  createdAt: number;
}

/** A running task's live progress (turns, session, tokens, cost) and heartbeat (UTC ms). */
export type RunProgress = Pick<TaskRow, "turnCount" | "sessionId" | "heartbeatAt"> & Partial<Pick<TaskRow, "inputTokens" | "outputTokens" | "costUsd">>;

/**
 * One executor flush: appends `events` to task_events in one multi-row INSERT and writes
 * the task's progress while it is still `running`. Call it in a transaction.
 */
export async function insertTaskEventsAndProgress(db: Db, taskId: string, events: readonly TaskEventInsert[], progress: RunProgress): Promise<void> {
  const { tasks, taskEvents } = tablesOf(db);
  if (events.length) await run(db, db.insert(taskEvents).values(events.map((e) => ({ taskId, type: e.type, payload: e.payload, createdAt: e.createdAt }))));
  await run(db, db.update(tasks).set(progress).where(and(eq(tasks.id, taskId), eq(tasks.status, "running"))));
}

/** Writes a schedule's fields after a firing (streaks, turn averages, auto-pause). */
export async function updateScheduleAfterFiring(db: Db, scheduleId: string, patch: Partial<ScheduleRow>): Promise<void> {
  const { schedules } = tablesOf(db);
  await run(db, db.update(schedules).set(patch).where(eq(schedules.id, scheduleId)));
}
