import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import {
  pauseScheduleInvalidCron,
  reanchorWatermark,
  rootTaskExists,
  selectDueScheduleIds,
  selectNewestRootPlannedAt,
  selectScheduleForPlanning,
  selectSchedulesPlannedPast,
  updatePlannedSchedule,
} from "../db/queries/planning";
import type { ScheduleRow, TaskRow } from "../db/schema";
import { recordEvent } from "../events/log";
import { CronError, hasCron, nextOccurrence } from "../schedules/cron";
import { decideOccurrence } from "../schedules/calendar";
import type { SkippedReason } from "../db/constants";
import { selectOccurrences, type CatchUpSelection } from "./catch-up";
import { decideOverlap } from "./overlap-policy";
import { activeTasksForOverlap, applyOverlapDecision } from "./overlap-apply";
import { insertTaskIfAbsent } from "../db/queries/tasks-core";
import { PLAN_BATCH, PLAN_MAX_PER_PASS } from "./tuning";
import { taskTemplateFromSchedule, UNCLAIMED_RUN_STATE } from "../tasks/run-state";
import { withTransaction } from "../db/client";

export interface SchedulePlan {
  scheduleId: string;
  /** Tasks inserted as queued. */
  queued: number;
  /** Occurrences inserted as `skipped` (overlap). */
  skipped: number;
  /** Occurrences counted in this pass's `missed_occurrences` event. */
  missed: number;
  /** Running tasks cancelled by `cancel_other`; the caller aborts the local ones. */
  cancelledRunning: string[];
}

export interface PlanPassResult {
  plans: SchedulePlan[];
  /** Schedules whose planning threw (isolated, logged); the loop backs them off. */
  failed: string[];
  /**
   * Due schedules another runner was planning at that moment (PostgreSQL, ADR 0013): left
   * to it; the loop looks at them again after PLAN_BUSY_BACKOFF_MS.
   */
  busy: string[];
}

/**
 * Root task of one occurrence, copied from its schedule at planning (budgets, lease, attempts).
 * `skippedReason` applies to a skipped one (default `overlap`); `notBefore` (UTC ms) holds a
 * queued one back (jitter, a deferred window start).
 */
export function occurrenceTask(
  s: ScheduleRow,
  plannedAt: number,
  now: number,
  status: "queued" | "skipped",
  opts: { skippedReason?: SkippedReason; notBefore?: number | null } = {},
): TaskRow {
  return {
    ...UNCLAIMED_RUN_STATE,
    ...taskTemplateFromSchedule(s),
    id: randomUUID(),
    status,
    sourceType: "scheduled",
    rootSourceType: "scheduled",
    plannedAt,
    attempt: 1,
    parentTaskId: null,
    notBefore: status === "queued" ? (opts.notBefore ?? null) : null,
    finishedAt: status === "skipped" ? now : null,
    skippedReason: status === "skipped" ? (opts.skippedReason ?? "overlap") : null,
    createdAt: now,
  };
}

/** Ids of up to `limit` due active schedules (status active, nextFireAt ≤ now), earliest first. */
export async function dueScheduleIds(db: Db, now: number, limit: number): Promise<string[]> {
  return selectDueScheduleIds(db, now, limit);
}

/**
 * Plans one schedule's due occurrences in ONE transaction (issue 3 item 2): catch-up
 * policy over (lastPlannedAt, min(now, expiresAt)], overlap policy per occurrence, root
 * tasks inserted with `INSERT … ON CONFLICT DO NOTHING` on the occurrence unique index
 * (invariant 1: a second runner or a re-run pass inserts nothing), missed occurrences
 * as one `missed_occurrences` event, then `lastPlannedAt`/`nextFireAt`/`firingCount`/
 * `lastFiredAt` advanced — next fire computed before anything runs (invariant 6).
 * `maxFirings` completes and `expiresAt` expires the schedule. The schedule row is
 * re-read inside the transaction — locked `FOR UPDATE` on PostgreSQL, under `BEGIN
 * IMMEDIATE` on SQLite (ADR 0013) — so a pause or a concurrent runner's pass is seen and
 * exactly one runner plans each occurrence: firingCount, maxFirings and missed counts stay
 * exact with concurrent runners. Returns null when nothing was due anymore, `"busy"` when
 * another runner holds the schedule's planning lock (PostgreSQL only).
 * @throws CronError for a bad expression (the caller pauses the schedule).
 */
export async function planSchedule(db: Db, scheduleId: string, now: number, retryBackoffMs: readonly number[]): Promise<SchedulePlan | "busy" | null> {
  return await withTransaction(db, async (tx) => {
        const s = await selectScheduleForPlanning(tx, scheduleId);
        if (s === "locked") return "busy";
        // A schedule without a cron (chained only, ADR 0024) has no occurrence to plan.
        if (!s || s.status !== "active" || s.nextFireAt == null || s.nextFireAt > now || !hasCron(s)) return null;
        // nextFireAt is the first undecided occurrence: a lastPlannedAt past it (set before a
        // backward clock step, ADR 0006) must not hide it.
        const from = Math.min(s.lastPlannedAt ?? s.createdAt, s.nextFireAt - 1);
        const upTo = s.expiresAt != null ? Math.min(now, s.expiresAt) : now;
        const selection: CatchUpSelection = upTo > from ? selectOccurrences(s, from, upTo, now, s.nextFireAt) : { fire: [], missed: null, watermark: Math.max(from, upTo) };
        const plan: SchedulePlan = { scheduleId, queued: 0, skipped: 0, missed: selection.missed?.count ?? 0, cancelledRunning: [] };

        let firingCount = s.firingCount;
        let watermark = selection.watermark;
        let lastFiredAt = s.lastFiredAt;
        for (const plannedAt of selection.fire) {
          if (s.maxFirings != null && firingCount >= s.maxFirings) {
            watermark = Math.max(from, plannedAt - 1);
            break;
          }
          // Calendar controls (ADR 0015): an excluded date or the active window can skip the
          // occurrence (recorded as a skipped root task, not a firing); jitter and the defer
          // policy only set when its task may start.
          const verdict = decideOccurrence(s, plannedAt);
          if (verdict.kind === "skip") {
            if (await insertTaskIfAbsent(tx, occurrenceTask(s, plannedAt, now, "skipped", { skippedReason: verdict.reason }))) plan.skipped += 1;
            continue;
          }
          const active = await activeTasksForOverlap(tx, s.id);
          const decision = decideOverlap(s.overlapPolicy, { queued: active.queued, running: active.running.map((r) => r.id) });
          plan.cancelledRunning.push(...(await applyOverlapDecision(tx, decision, active.running, now, retryBackoffMs)));
          const row = occurrenceTask(s, plannedAt, now, decision.queue ? "queued" : "skipped", { notBefore: verdict.notBefore });
          const inserted = await insertTaskIfAbsent(tx, row);
          if (!inserted) continue;
          if (decision.queue) {
            plan.queued += 1;
            firingCount += 1;
            lastFiredAt = plannedAt;
          } else {
            plan.skipped += 1;
          }
        }

        if (selection.missed) {
          const m = selection.missed;
          await recordEvent(tx, {
            kind: "missed_occurrences",
            scheduleId: s.id,
            message: `${m.approximate ? "About " : ""}${m.count} occurrence${m.count === 1 ? "" : "s"} missed between ${new Date(m.fromExclusive).toISOString()} and ${new Date(m.toInclusive).toISOString()} (catch-up policy ${s.catchUpPolicy})`,
            data: { count: m.count, approximate: m.approximate, from: m.fromExclusive, to: m.toInclusive, catchUpPolicy: s.catchUpPolicy },
            createdAt: now,
          });
        }

        const patch: Partial<ScheduleRow> = { lastPlannedAt: watermark, firingCount, lastFiredAt, updatedAt: now };
        const next = await skipPlannedOccurrences(
          tx,
          s,
          selection.nextAfterWatermark !== undefined && selection.watermark === watermark
            ? selection.nextAfterWatermark
            : nextOccurrence(s.cronExpression, s.timezone, watermark),
          lastFiredAt,
        );
        patch.nextFireAt = next;
        if (s.maxFirings != null && firingCount >= s.maxFirings) {
          patch.status = "completed";
          patch.nextFireAt = null;
          await recordEvent(tx, { kind: "schedule_completed", scheduleId: s.id, message: `Completed after ${firingCount} firings (maxFirings)`, createdAt: now });
        } else if (next == null || (s.expiresAt != null && next > s.expiresAt)) {
          patch.status = "expired";
          patch.nextFireAt = null;
          await recordEvent(tx, {
            kind: "schedule_expired",
            scheduleId: s.id,
            message: next == null ? "Expired: the cron expression has no further occurrence" : `Expired: no occurrence before expiresAt ${new Date(s.expiresAt!).toISOString()}`,
            createdAt: now,
          });
        }
        await updatePlannedSchedule(tx, s.id, {
          lastPlannedAt: watermark,
          nextFireAt: patch.nextFireAt ?? null,
          firingCount,
          lastFiredAt,
          status: patch.status ?? s.status,
          updatedAt: now,
        });
        return plan;
      });
}

/** Occurrences skipped one by one before skipPlannedOccurrences jumps past the last planned one. */
const SKIP_PLANNED_MAX_STEPS = 10_000;

/**
 * After a backward wall-clock step the wall times just lived through come again, and
 * their occurrences already have their root tasks (ADR 0006). Given `next`, the first
 * occurrence after the watermark, returns the first one that has no root task: an
 * occurrence is planned once (invariant 1), never re-planned; one with no task yet fires
 * at its wall time. Costs nothing in the steady state: the index is only consulted when
 * `next` is not after the newest fired occurrence (`lastFiredAt`), which only a backward
 * step makes possible.
 * @param next UTC ms or null. @throws CronError for a bad expression.
 */
export async function skipPlannedOccurrences(
  db: Db,
  s: Pick<ScheduleRow, "id" | "timezone"> & { cronExpression: string },
  next: number | null,
  lastFiredAt: number | null,
): Promise<number | null> {
  if (next == null || lastFiredAt == null || next > lastFiredAt) return next;
  const newest = await selectNewestRootPlannedAt(db, s.id);
  if (newest == null) return next;
  for (let i = 0; next != null && next <= newest && (await rootTaskExists(db, s.id, next)); i++) {
    next = i < SKIP_PLANNED_MAX_STEPS ? nextOccurrence(s.cronExpression, s.timezone, next) : nextOccurrence(s.cronExpression, s.timezone, newest);
  }
  return next;
}

/**
 * Re-anchors planning after a backward wall-clock step (ADR 0006; run at boot and when a
 * step is detected): every active schedule whose `lastPlannedAt` lies in the future gets
 * `lastPlannedAt = now` and `nextFireAt` = its first occurrence after `now` without a root
 * task, so planning never waits for the wall clock to catch up with the old watermark and
 * nothing already planned is planned again. Idempotent (two runners seeing one step do
 * it once). A schedule whose cron can't be evaluated is left to the planner (it pauses it).
 * @param now UTC ms. Returns the number of schedules re-anchored.
 */
export async function reanchorFutureWatermarks(db: Db, now: number): Promise<number> {
  return await withTransaction(db, async (tx) => {
        const rows = await selectSchedulesPlannedPast(tx, now);
        let n = 0;
        for (const s of rows) {
          let next: number | null;
          try {
            next = await skipPlannedOccurrences(tx, s, nextOccurrence(s.cronExpression, s.timezone, now), s.lastFiredAt);
          } catch {
            continue;
          }
          if (next == null) continue;
          n += await reanchorWatermark(tx, s.id, now, next);
        }
        return n;
      });
}

/**
 * Pauses a schedule whose stored cron can't be evaluated (invariant 6: paused with a
 * reason instead of hot-looping), with an `invalid_cron` event, in one transaction.
 */
export async function pauseForInvalidCron(db: Db, scheduleId: string, err: CronError, now: number): Promise<void> {
  await withTransaction(db, async (tx) => {
        if (await pauseScheduleInvalidCron(tx, scheduleId, now)) {
          await recordEvent(tx, { kind: "invalid_cron", scheduleId, message: `Paused: ${err.message}`, data: { field: err.field }, createdAt: now });
        }
      });
}

/**
 * Plans every due schedule, each isolated: a bad cron pauses its schedule, any other
 * error is logged with the schedule id and reported in `failed`; the pass goes on.
 * `skip` lists schedules to leave alone this pass (error backoff). Schedules are
 * planned PLAN_BATCH at a time in one IMMEDIATE transaction, each in its own savepoint
 * (a nested better-sqlite3 transaction), so a failure rolls back only its schedule while
 * 10,000 due schedules cost 200 commits instead of 10,000. At most PLAN_MAX_PER_PASS
 * schedules are planned per pass: the rest stay due, and the loop's next pass (armed at
 * once) continues after the event loop had a turn — a chat stream never waits for
 * 10,000 schedules at a time.
 */
export async function planDueOccurrences(db: Db, now: number, retryBackoffMs: readonly number[], skip: ReadonlySet<string> = new Set()): Promise<PlanPassResult> {
  const result: PlanPassResult = { plans: [], failed: [], busy: [] };
  const due = (await dueScheduleIds(db, now, PLAN_MAX_PER_PASS + skip.size))
    .filter((id) => !skip.has(id))
    .slice(0, PLAN_MAX_PER_PASS);
  for (let i = 0; i < due.length; i += PLAN_BATCH) {
    const batch = due.slice(i, i + PLAN_BATCH);
    const planBatch = async (tx: Db) => {
      for (const id of batch) {
        try {
          const plan = await planSchedule(tx, id, now, retryBackoffMs);
          if (plan === "busy") result.busy.push(id);
          else if (plan) result.plans.push(plan);
        } catch (err) {
          if (err instanceof CronError) {
            console.error(`[agentcron] schedule ${id}: ${err.message}; pausing it`);
            try {
              await pauseForInvalidCron(tx, id, err, now);
              continue;
            } catch (pauseErr) {
              console.error(`[agentcron] schedule ${id}: could not pause`, pauseErr);
            }
          } else {
            console.error(`[agentcron] schedule ${id}: planning failed`, err);
          }
          result.failed.push(id);
        }
      }
    };
    try {
      await withTransaction(db, async (tx) => planBatch(tx));
    } catch (err) {
      // The batch's commit itself failed (e.g. the disk is full): nothing of it was planned.
      console.error(`[agentcron] planning batch failed`, err);
      result.failed.push(...batch);
    }
  }
  return result;
}
