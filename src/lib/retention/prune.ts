import "server-only";
import type { Db } from "../db/client";
import { TERMINAL_TASK_STATUSES } from "../db/constants";
import {
  deleteChatMessagesByIds,
  deleteEmptyStaleConversations,
  deleteEventsByIds,
  deleteFinishedTasks,
  deleteTaskEventsByIds,
  selectKeepFloor,
  selectOldEvents,
  selectOldTaskEvents,
  selectOldTasks,
  selectPausedScheduleIds,
  selectScheduleTasksBelow,
  selectSchedulesOverTaskCap,
  selectStaleChatMessageIds,
  selectTasksBehindOpenPauses,
} from "../db/queries/retention";
import { deleteStaleUsageRollups } from "../db/queries/spend";
import { staleRollupCutoffs } from "../budgets/usage";
import type { RetentionSettings } from "./keep-settings";

const DAY_MS = 24 * 3600 * 1000;

/**
 * Batch sizing (ADR "retention"): every batch is one keyset read plus one delete by id list,
 * sized so it takes about TARGET_BATCH_MS; the size adapts to the machine and the table
 * (scaled down after a slow batch, up by half after a fast one) within these bounds.
 * The bound is 50 ms per pass; the target leaves room for a slow disk.
 */
export const TARGET_BATCH_MS = 8;
export const MIN_BATCH = 20;
export const MAX_BATCH = 500;
const FIRST_BATCH = 100;

/** Rows removed by one pruning run, per kind. */
export interface PruneCounts {
  tasks: number;
  taskEvents: number;
  events: number;
  chatMessages: number;
  chatConversations: number;
  /** Spend rollup rows (hour, UTC-day) older than any spend read reaches (step 5). */
  usageRollups: number;
}

/** What one pruning run did. */
export interface PruneReport {
  deleted: PruneCounts;
  /** Duration of each batch, ms (wall time of its read and its delete; SQLite holds the event loop that long). */
  batchMs: number[];
  /**
   * CPU time of each batch in this process, ms: on SQLite the work itself, without the time
   * a busy machine kept the process waiting for a core (wall ≥ CPU); on PostgreSQL small
   * (the server does the work, the event loop is free meanwhile).
   */
  batchCpuMs: number[];
  /** False when it stopped at `maxBatches` with work left. */
  complete: boolean;
}

export interface PruneOptions {
  /** Awaited between batches (default: one macrotask, so requests and the scheduler interleave). */
  pause?: () => Promise<void>;
  /** Stop after this many batches (default unbounded: until nothing is left to prune). */
  maxBatches?: number;
}

/** Lets the event loop run between two batches. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class BatchSizer {
  size = FIRST_BATCH;
  adapt(ms: number): void {
    if (ms > TARGET_BATCH_MS) this.size = Math.max(MIN_BATCH, Math.floor((this.size * TARGET_BATCH_MS) / ms));
    else if (ms < TARGET_BATCH_MS / 2) this.size = Math.min(MAX_BATCH, Math.ceil(this.size * 1.5));
  }
}

/**
 * Which finished tasks a schedule keeps whatever their age: its `keep` newest (by createdAt,
 * then id). Floors are looked up once per run and cached — a newer task only moves the real
 * floor later, so a cached floor keeps a little more, never less.
 */
class KeepRule {
  private readonly floors = new Map<string, { createdAt: number; id: string } | null>();
  constructor(
    private readonly db: Db,
    private readonly keep: number,
    private readonly protectedTaskIds: ReadonlySet<string>,
  ) {}

  /** True when the task must stay (one of its schedule's last runs, or behind an open pause). */
  async keeps(task: { id: string; scheduleId: string | null; createdAt: number }): Promise<boolean> {
    if (this.protectedTaskIds.has(task.id)) return true;
    if (!task.scheduleId || this.keep <= 0) return false;
    if (!this.floors.has(task.scheduleId)) this.floors.set(task.scheduleId, await selectKeepFloor(this.db, task.scheduleId, this.keep));
    const floor = this.floors.get(task.scheduleId);
    if (!floor) return true; // fewer than `keep` tasks: all of them stay
    return task.createdAt > floor.createdAt || (task.createdAt === floor.createdAt && task.id >= floor.id);
  }
}

const TERMINAL = new Set<string>(TERMINAL_TASK_STATUSES);

/**
 * Prunes what `retention` no longer keeps, as of `now` (UTC ms), in bounded batches with
 * `pause()` between them — off the scheduler's hot path (the maintenance timer runs it):
 *   1. task events older than taskEventsDays (except those of queued/running tasks, of each
 *      schedule's last keepRunsPerSchedule tasks and of tasks behind an open pause);
 *   2. finished tasks older than tasksDays (same exceptions; their remaining task events
 *      go by ON DELETE CASCADE, the maintained counters follow by trigger);
 *   2b. a schedule's finished tasks beyond its maxTasksPerSchedule newest, oldest first
 *      (same exceptions; ADR 0025: bounded by count as well as by age);
 *   3. activity-log events older than eventsDays (except `auto_paused` events of schedules
 *      still paused: the reason a person must read);
 *   4. chat conversations idle for longer than chatDays, messages first;
 *   5. spend rollups no read reaches (budgets/usage.ts staleRollupCutoffs: hour buckets past
 *      ~48 h, UTC-day buckets past ~62 days); the all-time rows stay. Only when tasksDays is
 *      set: the rollups sum runs, and a history kept forever keeps its sums too.
 * A kind whose days are null is kept forever. Each batch reads at most one batch of the
 * oldest rows by keyset (so a kept row is read once per run, not once per batch) and
 * deletes by id list in one autocommit statement.
 * @returns the counts and each batch's duration; `complete` false when maxBatches stopped it.
 */
export async function pruneExpired(db: Db, now: number, retention: RetentionSettings, opts: PruneOptions = {}): Promise<PruneReport> {
  const pause = opts.pause ?? yieldToEventLoop;
  const maxBatches = opts.maxBatches ?? Number.POSITIVE_INFINITY;
  const report: PruneReport = { deleted: { tasks: 0, taskEvents: 0, events: 0, chatMessages: 0, chatConversations: 0, usageRollups: 0 }, batchMs: [], batchCpuMs: [], complete: true };
  const protectedTaskIds = new Set(await selectTasksBehindOpenPauses(db));
  const keepRule = new KeepRule(db, retention.keepRunsPerSchedule, protectedTaskIds);

  /** Runs `step` as timed batches until it says it is done; false when maxBatches stopped it. */
  const batches = async (step: (size: number) => Promise<boolean>): Promise<boolean> => {
    const sizer = new BatchSizer();
    for (;;) {
      if (report.batchMs.length >= maxBatches) return false;
      const started = performance.now();
      const cpu = process.cpuUsage();
      const more = await step(sizer.size);
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      report.batchMs.push(ms);
      const cpuMs = (used.user + used.system) / 1000;
      report.batchCpuMs.push(cpuMs);
      // SQLite: sized by CPU time (the work itself; on a busy machine wall time also counts waiting
      // for a core, and shrinking batches for that only multiplies them). PostgreSQL: by wall time
      // (the server does the work; the statement's length is how long it holds its locks).
      sizer.adapt(db.$dialect === "pg" ? ms : cpuMs);
      if (!more) return true;
      await pause();
    }
  };

  const finish = (ok: boolean): PruneReport => {
    report.complete = ok;
    return report;
  };

  if (retention.taskEventsDays != null) {
    const ok = await pruneOlderById(batches, now - retention.taskEventsDays * DAY_MS, (cursor, size) => selectOldTaskEvents(db, cursor, size), async (row) =>
      // A run's transcript goes with the run: never while it's live or kept.
      TERMINAL.has(row.taskStatus) && !(await keepRule.keeps({ id: row.taskId, scheduleId: row.scheduleId, createdAt: row.taskCreatedAt })),
      async (ids) => (report.deleted.taskEvents += await deleteTaskEventsByIds(db, ids)),
    );
    if (!ok) return finish(false);
  }

  type TaskCursor = { createdAt: number; id: string } | null;
  /** Deletes the finished, unprotected tasks `select` pages through (keyset cursor), in batches. */
  const pruneTasks = (select: (cursor: TaskCursor, size: number) => Promise<{ id: string; scheduleId: string | null; status: string; createdAt: number }[]>) => {
    let cursor: TaskCursor = null;
    return batches(async (size) => {
      const rows = await select(cursor, size);
      const ids: string[] = [];
      for (const row of rows) {
        cursor = { createdAt: row.createdAt, id: row.id };
        if (!TERMINAL.has(row.status)) continue;
        if (await keepRule.keeps(row)) continue;
        ids.push(row.id);
      }
      report.deleted.tasks += await deleteFinishedTasks(db, ids);
      return rows.length === size;
    });
  };

  if (retention.tasksDays != null) {
    const cutoff = now - retention.tasksDays * DAY_MS;
    if (!(await pruneTasks((cursor, size) => selectOldTasks(db, cutoff, cursor, size)))) return finish(false);
  }

  if (retention.maxTasksPerSchedule != null) {
    // The rate-aware bound (ADR 0025): a schedule over its cap loses its oldest finished tasks
    // below its cap-th newest, in the same batches, with the same exceptions.
    for (const over of await selectSchedulesOverTaskCap(db, retention.maxTasksPerSchedule)) {
      const floor = await selectKeepFloor(db, over.scheduleId, retention.maxTasksPerSchedule);
      if (!floor) continue;
      if (!(await pruneTasks((cursor, size) => selectScheduleTasksBelow(db, over.scheduleId, floor, cursor, size)))) return finish(false);
    }
  }

  if (retention.eventsDays != null) {
    const paused = new Set(await selectPausedScheduleIds(db));
    const ok = await pruneOlderById(batches, now - retention.eventsDays * DAY_MS, (cursor, size) => selectOldEvents(db, cursor, size), (row) =>
      // The auto-pause of a schedule still paused explains its state: kept.
      !(row.kind === "auto_paused" && row.scheduleId != null && paused.has(row.scheduleId)),
      async (ids) => (report.deleted.events += await deleteEventsByIds(db, ids)),
    );
    if (!ok) return finish(false);
  }

  if (retention.chatDays != null) {
    const cutoff = now - retention.chatDays * DAY_MS;
    const ok = await batches(async (size) => {
      const ids = await selectStaleChatMessageIds(db, cutoff, size);
      if (ids.length) {
        const n = await deleteChatMessagesByIds(db, ids);
        report.deleted.chatMessages += n;
        // Only streaming messages left in this batch: they finish or are reconciled later.
        return n > 0;
      }
      const removed = await deleteEmptyStaleConversations(db, cutoff, size);
      report.deleted.chatConversations += removed;
      return removed === size;
    });
    if (!ok) return finish(false);
  }

  if (retention.tasksDays != null) {
    const cutoffs = staleRollupCutoffs(now);
    const ok = await batches(async (size) => {
      const n = await deleteStaleUsageRollups(db, cutoffs, size);
      report.deleted.usageRollups += n;
      return n === size;
    });
    if (!ok) return finish(false);
  }
  return finish(true);
}

/** The p-th percentile (0–100) of durations in ms, or null when there are none. */
export function percentileMs(values: readonly number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}


/**
 * Prunes an integer-keyed, append-only table (ids grow with time) older than `cutoff` (UTC
 * ms): reads rows after an id cursor in bounded batches, stops at the first row at or past
 * the cutoff, deletes the rows `removable` allows. Returns what `batches` returns (false:
 * the pass ran out of its time budget and resumes next time).
 */
async function pruneOlderById<R extends { id: number; createdAt: number }>(
  batches: (step: (size: number) => Promise<boolean>) => Promise<boolean>,
  cutoff: number,
  select: (afterId: number, size: number) => Promise<R[]>,
  removable: (row: R) => boolean | Promise<boolean>,
  remove: (ids: number[]) => Promise<unknown>,
): Promise<boolean> {
  let cursor = 0;
  return batches(async (size) => {
    const rows = await select(cursor, size);
    const ids: number[] = [];
    let reachedCutoff = false;
    for (const row of rows) {
      if (row.createdAt >= cutoff) {
        reachedCutoff = true;
        break;
      }
      cursor = row.id;
      if (await removable(row)) ids.push(row.id);
    }
    await remove(ids);
    return !reachedCutoff && rows.length === size;
  });
}
