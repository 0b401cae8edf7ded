import "server-only";
import type { Settings } from "../config/settings";
import type { Db } from "../db/client";
import type { TaskRow } from "../db/schema";
import { claimBatch, lockCap, pgDrainLimit, selectClaimedTasks, selectDrainCandidates, selectPgDrainBatch, skipQueuedTask, type DrainCandidate, type DrainTask } from "../db/queries/slots";
import { isManualRooted } from "../tasks/run-state";
import { chatPressureHold } from "./chat-pressure";
import { claimSlot, countRunning } from "./slot-claim";
import { DRAIN_BATCH, DRAIN_CANDIDATE_SLACK } from "./tuning";
import { withTransaction } from "../db/client";
import { env } from "../env";
import { BudgetGate, skipOverBudget } from "../budgets/fire-gate";

/** A task this runner just moved to `running`; the caller must start it. */
export interface ClaimedTask {
  task: TaskRow;
  /** Running tasks (all runners) right after the claim, this one included. */
  concurrentAtClaim: number;
  chatStreamsAtClaim: number;
}

export interface DrainInput {
  db: Db;
  /** UTC ms. */
  now: number;
  runnerId: string;
  settings: Settings;
  /** Chat streams in flight (active-streams.ts). */
  chatStreams: number;
  /**
   * Read again right before claiming, so `slotClaimedAt` and the lease start when the claim
   * really happens — not at the pass's start, which planning and (PostgreSQL) the wait for the
   * cap's lock may lie hundreds of ms behind. Without it, `now` is used.
   */
  clock?: { now(): number };
  /** This runner's labels (runtime pinning); default AGENTCRON_RUNNER_LABELS (env.ts). */
  runnerLabels?: readonly string[];
}

export interface DrainResult {
  claimed: ClaimedTask[];
  /** Tasks skipped by the fire-time re-check. */
  skippedAtFire: number;
  /** Earliest instant a chat-pressure hold ends (UTC ms), or null. */
  holdUntil: number | null;
  /**
   * True when the batch was full (DRAIN_BATCH candidates), slots remain and it made
   * progress (claimed or skipped a task): more queued tasks may be startable now, and the
   * loop must drain again at once instead of sleeping (issue 10 fault 5).
   */
  more: boolean;
  /**
   * Tasks running right after this drain's claim, as counted where the claim was decided (under
   * the cap's lock on PostgreSQL, in the write transaction on SQLite); null when it claimed
   * nothing or didn't count. Never above the cap (bench/pg-cap.ts reports its maximum).
   */
  runningAfter: number | null;
}

/**
 * Fire-time re-check (issue 3 item 5): a queued scheduled task (or its retry) whose schedule was
 * paused or deleted after planning becomes `skipped` with `paused_at_fire` /
 * `schedule_deleted` instead of starting. Guarded on `status='queued'`. Returns true
 * when it skipped the task.
 */
export async function skipAtFire(db: Db, taskId: string, reason: "paused_at_fire" | "schedule_deleted", now: number): Promise<boolean> {
  return skipQueuedTask(db, taskId, reason, now);
}

/**
 * Drain (issue 3 item 3): claims slots for queued tasks FIFO by (plannedAt, createdAt),
 * honouring `notBefore`, chat pressure, the per-schedule serialization of overlap policies,
 * runner-label pinning and every cap (global, runner, concurrency group, runtime), FIFO within
 * what can run. Without chat streams the whole batch is claimed by ONE statement
 * (queries/slots.ts claimBatch, issue 14 item 7); with chat streams, one conditional UPDATE
 * per task (slot-claim.ts) so chat pressure sees only tasks that would start. Either way
 * several runners draining at once never exceed a cap. The caller starts the claimed tasks
 * without blocking the loop.
 */
export async function drainQueue(input: DrainInput): Promise<DrainResult> {
  const result: DrainResult = { claimed: [], skippedAtFire: 0, holdUntil: null, more: false, runningAfter: null };
  const runnerLabels = input.runnerLabels ?? env().AGENTCRON_RUNNER_LABELS;
  const { maxConcurrent } = input.settings;
  if (input.db.$dialect === "pg") {
    // PostgreSQL (ADR 0023): the running count and the candidates in ONE statement, before the
    // cap's lock; then the lock and the batch claim — which returns the running count it saw
    // under the lock — in one round trip (ADR 0032; was 5 round trips, 7 before ADR 0023).
    // The limit: 2 × free (at least DRAIN_CANDIDATE_SLACK), because other runners claim some
    // candidates before this one gets the lock. It was 4 × free while the lock was held across
    // client round trips (free + 16 cut claims per drain from 14.9 to 9.3, ADR 0016 amendment);
    // with the lock held only server-side, 2 × gave 2,093–2,517 claims/s against 1,650–2,147
    // for 4 × and 1,687–1,933 for 1 × (ADR 0032).
    const read = await selectPgDrainBatch(input.db, { now: input.now, cap: maxConcurrent, batch: DRAIN_BATCH, slack: DRAIN_CANDIDATE_SLACK, runnerLabels });
    if (read.running == null) return result;
    const limit = pgDrainLimit(maxConcurrent - read.running, DRAIN_BATCH, DRAIN_CANDIDATE_SLACK);
    // The cost caps before the lock too: 2–6 statements for scheduled candidates that used to
    // run while every other runner waited for the lock. Spend is not what the lock guards
    // (READ COMMITTED read it just as stale inside the transaction).
    const budget = await budgetFor(input.db, read.candidates, input.now);
    const ctx = { ...input, runnerLabels, candidates: read.candidates, result, budget, claims: [] };
    // Chat pressure claims one by one and stops at the cap: one transaction holding the lock,
    // with the count under it.
    if (input.chatStreams > 0) {
      return await withTransaction(input.db, async (tx) => {
        await lockCap(tx);
        return claimCandidates({ ...ctx, db: tx, claimAt: input.clock?.now() ?? input.now }, await countRunning(tx), limit);
      });
    }
    // The batch claim takes the lock itself, in the same round trip as the claim (ADR 0032):
    // 2 round trips per drain (was 5), and the lock is held only while the server claims.
    // The fire-time skips before it are guarded single statements of their own.
    return await claimCandidates({ ...ctx, claimAt: input.clock?.now() ?? input.now }, null, limit);
  }
  // SQLite: one write transaction for the whole drain (SQLite serializes writers, so the count
  // and the claim can't be raced); a pass claiming N slots commits once instead of N times.
  return await withTransaction(input.db, async (tx) => {
    const running = await countRunning(tx);
    if (running >= maxConcurrent) return result;
    // Enough candidates to fill the free slots with room for the ones a group, runtime or
    // serialized schedule holds back in the batch (the query already leaves out tasks of full
    // groups and runtimes), never more than DRAIN_BATCH: free + slack — every candidate row
    // costs ≈ 10 µs claimed or not, and nothing else claims between the read and the claim.
    // A batch that holds back more reports `more` and the loop drains again at once.
    const limit = Math.min(DRAIN_BATCH, maxConcurrent - running + DRAIN_CANDIDATE_SLACK);
    const candidates = await selectDrainCandidates(tx, input.now, limit, runnerLabels);
    if (!candidates.length) return result;
    const budget = await budgetFor(tx, candidates, input.now);
    return claimCandidates({ ...input, db: tx, runnerLabels, claimAt: input.clock?.now() ?? input.now, candidates, result, budget, claims: [] }, running, limit);
  });
}

/** Spend (src/lib/budgets): the cost caps of the candidates' scheduled firings, which are skipped over a cap. */
function budgetFor(db: Db, candidates: DrainCandidate[], now: number): Promise<BudgetGate> {
  return BudgetGate.build(db, candidates.flatMap(({ task }) => (task.scheduleId && !isManualRooted(task) ? [task.scheduleId] : [])), now);
}

/**
 * The claim half of a drain — SQLite: inside its write transaction; PostgreSQL: inside the
 * chat-pressure transaction after `lockCap`, or on the pool (the batch claim locks itself): the
 * fire-time re-checks, then the claim. `running`: the count under the lock / in the write
 * transaction, or null (PostgreSQL batch claim: claimBatch reports it). `limit`: the
 * candidates asked for, to tell whether more may be startable.
 */
async function claimCandidates(ctx: DrainContext, running: number | null, limit: number): Promise<DrainResult> {
  const { candidates, result, settings } = ctx;
  const after = ctx.chatStreams > 0 ? await claimOneByOne(ctx, running ?? (await countRunning(ctx.db))) : await claimInOneStatement(ctx, running);
  if (ctx.claims.length) result.runningAfter = after;
  await loadClaimedRows(ctx);
  result.more =
    (after == null || after < settings.maxConcurrent) &&
    (ctx.claims.length > 0 || result.skippedAtFire > 0) &&
    (candidates.length === limit || (ctx.leftOver ?? 0) > 0);
  return result;
}

interface DrainContext extends DrainInput {
  runnerLabels: readonly string[];
  /** UTC ms stamped on the claims. */
  claimAt: number;
  candidates: DrainCandidate[];
  result: DrainResult;
  /** The cost caps of the candidates' schedules, read once per drain (claimCandidates). */
  budget: BudgetGate;
  /** Candidates passed to the claim that it left queued (a cap, or a conservative group rank: see claimBatch). */
  leftOver?: number;
  /** What this drain claimed, FIFO: their rows come from the claim or one read after it (loadClaimedRows). */
  claims: { taskId: string; concurrentAtClaim: number }[];
  /** The claimed tasks' whole rows when the claim returned them (PostgreSQL's batch claim), by id. */
  claimedRows?: Map<string, TaskRow>;
}

/**
 * The fire-time re-check of one candidate; true when it was skipped: its schedule is paused or
 * deleted, or (a scheduled firing) starting it would go over a cost cap (src/lib/budgets).
 */
async function skippedAtFire(ctx: DrainContext, { task, scheduleStatus }: DrainCandidate): Promise<boolean> {
  if (!task.scheduleId || isManualRooted(task)) return false;
  if (scheduleStatus == null || scheduleStatus === "paused") {
    if (await skipAtFire(ctx.db, task.id, scheduleStatus == null ? "schedule_deleted" : "paused_at_fire", ctx.now)) ctx.result.skippedAtFire += 1;
    return true;
  }
  const overBudget = ctx.budget.breachFor(task);
  if (!overBudget) return false;
  if (await skipOverBudget(ctx.db, task, overBudget, ctx.now)) ctx.result.skippedAtFire += 1;
  return true;
}

function recordClaim(ctx: DrainContext, task: DrainTask, concurrentAtClaim: number): void {
  ctx.claims.push({ taskId: task.id, concurrentAtClaim });
}

/**
 * The claimed tasks' whole rows into `result.claimed`, in FIFO order: as the claim returned
 * them (PostgreSQL's batch claim: its UPDATE … RETURNING, no round trip more), else in one
 * statement after the claim (selectClaimedTasks). A row read after the claim and no longer
 * `running` on this runner (cancelled in the moment since) is not handed to the launcher: its
 * slot is already free.
 */
async function loadClaimedRows(ctx: DrainContext): Promise<void> {
  if (!ctx.claims.length) return;
  const returned = ctx.claimedRows;
  const rows =
    returned && ctx.claims.every((c) => returned.has(c.taskId))
      ? returned
      : new Map((await selectClaimedTasks(ctx.db, ctx.claims.map((c) => c.taskId))).map((r) => [r.id, r]));
  for (const { taskId, concurrentAtClaim } of ctx.claims) {
    const task = rows.get(taskId);
    if (task?.status === "running" && task.runnerId === ctx.runnerId) ctx.result.claimed.push({ task, concurrentAtClaim, chatStreamsAtClaim: ctx.chatStreams });
  }
}

/**
 * No chat stream in flight (the common case, and every worker): the fire-time re-check, then
 * the batch's startable candidates — at most one per serialized schedule — claimed by ONE
 * statement that checks every cap (queries/slots.ts claimBatch; issue 14 item 7). `running`:
 * the count before it (SQLite), or null on PostgreSQL, where claimBatch returns the count it
 * saw under the lock. Returns the running count after it (null: PostgreSQL claimed nothing).
 */
async function claimInOneStatement(ctx: DrainContext, running: number | null): Promise<number | null> {
  const { settings } = ctx;
  const picked: DrainCandidate[] = [];
  const pickedSchedules = new Set<string>();
  for (const c of ctx.candidates) {
    if (await skippedAtFire(ctx, c)) continue;
    const serialize = c.overlapPolicy != null && c.overlapPolicy !== "allow_all";
    if (serialize && c.task.scheduleId) {
      if (pickedSchedules.has(c.task.scheduleId)) continue;
      pickedSchedules.add(c.task.scheduleId);
    }
    picked.push(c);
  }
  const { ids, runningBefore, rows } = await claimBatch(ctx.db, {
    candidates: picked.map((c) => ({ taskId: c.task.id, serialize: c.overlapPolicy != null && c.overlapPolicy !== "allow_all" })),
    runnerId: ctx.runnerId,
    now: ctx.claimAt,
    cap: settings.maxConcurrent,
    runnerCap: env().AGENTCRON_RUNNER_CAPACITY ?? settings.maxConcurrent,
    defaultLeaseSec: settings.maxRunDurationSec,
    runnerLabels: ctx.runnerLabels,
  });
  const byId = new Map(picked.map((c) => [c.task.id, c.task]));
  let count = runningBefore ?? running;
  for (const id of ids) recordClaim(ctx, byId.get(id)!, ++count!);
  ctx.leftOver = picked.length - ids.length;
  if (rows) ctx.claimedRows = new Map(rows.map((r) => [r.id, r]));
  return count;
}

/**
 * Chat streams in flight: candidates one at a time, so chat pressure (which stamps the first
 * instant it held a task, invariant 8) only looks at tasks that would get a slot now; each
 * claim is the single conditional UPDATE of slot-claim.ts. Returns the running count after it.
 */
async function claimOneByOne(ctx: DrainContext, running: number): Promise<number> {
  const { db, now, settings, result } = ctx;
  const startedSchedules = new Set<string>();
  for (const c of ctx.candidates) {
    const { task, overlapPolicy } = c;
    if (running >= settings.maxConcurrent) break;
    if (await skippedAtFire(ctx, c)) continue;
    const serialize = overlapPolicy != null && overlapPolicy !== "allow_all";
    if (serialize && task.scheduleId && startedSchedules.has(task.scheduleId)) continue;
    const pressure = await chatPressureHold(db, task, now, ctx.chatStreams, settings.chatPressureDelaySec);
    if (pressure.hold) {
      result.holdUntil = Math.min(result.holdUntil ?? Infinity, pressure.releaseAt!);
      continue;
    }
    const claimed = await claimSlot(db, {
      taskId: task.id,
      runnerId: ctx.runnerId,
      now: ctx.claimAt,
      cap: settings.maxConcurrent,
      defaultLeaseSec: settings.maxRunDurationSec,
      serializePerSchedule: serialize,
      runnerLabels: ctx.runnerLabels,
    });
    if (!claimed) {
      running = await countRunning(db);
      continue;
    }
    if (task.scheduleId) startedSchedules.add(task.scheduleId);
    recordClaim(ctx, task, ++running);
  }
  return running;
}
