import "server-only";
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client";
import {
  pauseScheduleInvalidCron,
  reanchorWatermark,
  insertTasksIfAbsent,
  lockSchedulesForPlanning,
  rootTaskExists,
  selectActiveTasksOfSchedules,
  selectDueScheduleIds,
  selectNewestRootPlannedAt,
  selectScheduleForPlanning,
  selectSchedulesPlannedPast,
  updatePlannedSchedule,
  updatePlannedSchedules,
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
 * What the batched path (ADR 0027) decided for one locked schedule row before the overlap
 * read: `null` = nothing due (planSchedule would return null); `"fallback"` = anything
 * unusual, planned by planSchedule; otherwise its ONE due occurrence, the verdict's
 * `notBefore` and the next fire after it.
 */
type FastVerdict = null | "fallback" | { plannedAt: number; notBefore: number | null; watermark: number; next: number };

/**
 * Classifies a locked schedule row for the batched path: the common case is exactly one
 * occurrence due (the stored `nextFireAt`), on time within the catch-up policy, nothing
 * missed, no calendar skip, `maxFirings` not reached by it, a next fire that exists, lies
 * before `expiresAt` and after `lastFiredAt` (no backward clock step to skip past). All
 * else — several occurrences to catch up, missed ones (an event), completion, expiry, a
 * calendar skip, a bad cron (CronError) — is `"fallback"`: planSchedule decides it exactly
 * as before. The same checks and the same functions as planSchedule, so both paths agree.
 */
function classifyForBatch(s: ScheduleRow, now: number): FastVerdict {
  if (s.status !== "active" || s.nextFireAt == null || s.nextFireAt > now || !hasCron(s)) return null;
  try {
    const from = Math.min(s.lastPlannedAt ?? s.createdAt, s.nextFireAt - 1);
    const upTo = s.expiresAt != null ? Math.min(now, s.expiresAt) : now;
    if (upTo <= from) return "fallback";
    const sel = selectOccurrences(s, from, upTo, now, s.nextFireAt);
    if (sel.nextAfterWatermark === undefined || sel.nextAfterWatermark == null || sel.missed || sel.fire.length !== 1) return "fallback";
    const plannedAt = sel.fire[0];
    const next = sel.nextAfterWatermark;
    if (s.maxFirings != null && s.firingCount + 1 >= s.maxFirings) return "fallback";
    if (s.expiresAt != null && next > s.expiresAt) return "fallback";
    if (s.lastFiredAt != null && next <= s.lastFiredAt) return "fallback";
    const verdict = decideOccurrence(s, plannedAt);
    if (verdict.kind === "skip") return "fallback";
    return { plannedAt, notBefore: verdict.notBefore, watermark: sel.watermark, next };
  } catch {
    return "fallback"; // a CronError: planSchedule throws it again and the pass pauses the schedule
  }
}

/**
 * Plans a batch of due schedules set-based, inside the batch transaction `tx` (ADR 0027):
 * their rows locked in one go (lockSchedulesForPlanning; on PostgreSQL those another runner
 * is planning come back busy), the overlap-relevant tasks of all of them in one read, every
 * common-case occurrence's root task in one multi-row `INSERT … ON CONFLICT DO NOTHING
 * RETURNING`, and every schedule's watermark / nextFireAt / firingCount / lastFiredAt in one
 * UPDATE — four statements for the batch instead of ~6 per schedule. A schedule whose case
 * is unusual (classifyForBatch), or whose overlap policy would skip queued or cancel running
 * tasks, is returned in `fallback`: the caller plans it with planSchedule, in a transaction
 * of its own after this one committed (no savepoint here: two round trips fewer on
 * PostgreSQL). If a batched statement fails, `tx` rolls back and the caller plans the whole
 * batch with planSchedule (so one bad row still only fails itself).
 * Returns the plans, the busy ids, and the ids left to planSchedule.
 */
async function planBatchSetBased(tx: Db, ids: readonly string[], now: number): Promise<{ plans: SchedulePlan[]; busy: string[]; fallback: string[] }> {
  const { rows: locked, busy } = await lockSchedulesForPlanning(tx, ids);
  const fallback: string[] = [];
  const candidates: { s: ScheduleRow; v: Exclude<FastVerdict, null | "fallback"> }[] = [];
  for (const s of locked) {
    const v = classifyForBatch(s, now);
    if (v === "fallback") fallback.push(s.id);
    else if (v) candidates.push({ s, v });
  }
  if (!candidates.length) return { plans: [], busy, fallback };
  const active = await selectActiveTasksOfSchedules(tx, candidates.map((c) => c.s.id));
  const bySchedule = new Map<string, { queued: string[]; running: string[] }>();
  for (const t of active) {
    if (t.scheduleId == null) continue;
    const a = bySchedule.get(t.scheduleId) ?? { queued: [], running: [] };
    (t.status === "queued" ? a.queued : a.running).push(t.id);
    bySchedule.set(t.scheduleId, a);
  }
  const planned: { s: ScheduleRow; v: Exclude<FastVerdict, null | "fallback">; row: TaskRow; queue: boolean }[] = [];
  for (const c of candidates) {
    const decision = decideOverlap(c.s.overlapPolicy, bySchedule.get(c.s.id) ?? { queued: [], running: [] });
    if (decision.skipQueued.length || decision.cancelRunning.length) {
      fallback.push(c.s.id); // cancel_other with something to cancel: planSchedule applies it
      continue;
    }
    const row = occurrenceTask(c.s, c.v.plannedAt, now, decision.queue ? "queued" : "skipped", { notBefore: c.v.notBefore });
    planned.push({ ...c, row, queue: decision.queue });
  }
  const inserted = await insertTasksIfAbsent(tx, planned.map((p) => p.row));
  const out: SchedulePlan[] = [];
  const patches = planned.map((p) => {
    const plan: SchedulePlan = { scheduleId: p.s.id, queued: 0, skipped: 0, missed: 0, cancelledRunning: [] };
    let firingCount = p.s.firingCount;
    let lastFiredAt = p.s.lastFiredAt;
    if (inserted.has(p.row.id)) {
      if (p.queue) {
        plan.queued = 1;
        firingCount += 1;
        lastFiredAt = p.v.plannedAt;
      } else {
        plan.skipped = 1;
      }
    }
    out.push(plan);
    return { id: p.s.id, lastPlannedAt: p.v.watermark, nextFireAt: p.v.next, firingCount, lastFiredAt };
  });
  await updatePlannedSchedules(tx, patches, now);
  return { plans: out, busy, fallback };
}

/**
 * Plans every due schedule, each isolated: a bad cron pauses its schedule, any other
 * error is logged with the schedule id and reported in `failed`; the pass goes on.
 * `skip` lists schedules to leave alone this pass (error backoff). Schedules are
 * planned PLAN_BATCH at a time in one transaction: the common case (one on-time occurrence)
 * set-based, a few statements per batch (planBatchSetBased, ADR 0027), the rest each by
 * planSchedule in its own savepoint, so a failure rolls back only its schedule while
 * 10,000 due schedules cost 200 commits instead of 10,000. `plans` come in due order. At most PLAN_MAX_PER_PASS
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
    let fallback: readonly string[];
    try {
      const batched = await withTransaction(db, (tx) => planBatchSetBased(tx, batch, now));
      result.plans.push(...batched.plans);
      result.busy.push(...batched.busy);
      fallback = batched.fallback;
    } catch (err) {
      console.error(`[agentcron] batched planning failed; planning its ${batch.length} schedules one by one`, err);
      fallback = batch;
    }
    if (!fallback.length) continue;
    const planBatch = async (tx: Db) => {
      for (const id of fallback) {
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
      result.failed.push(...fallback);
    }
  }
  const order = new Map(due.map((id, i) => [id, i]));
  result.plans.sort((a, b) => order.get(a.scheduleId)! - order.get(b.scheduleId)!);
  return result;
}
