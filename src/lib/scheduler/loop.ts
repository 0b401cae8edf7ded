import "server-only";
import { onStreamsEmpty, activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import type { Db } from "../db/client";
import { dbErrorMessage } from "../db/sql";
import { resolveRuntime as defaultResolveRuntime } from "../runtimes/registry";
import { systemClock, type Clock } from "../time/clock";
import { ClockWatch, type ClockJump } from "../time/clock-watch";
import { handleClockJump } from "./clock-jumps";
import { getSchedulerHandle, setSchedulerHandle, type SchedulerHandle } from "./control";
import { drainQueue } from "./drain";
import { planChainedTasks } from "../triggers/chaining";
import { deleteExpiredIdempotencyKeys } from "../db/queries/triggers";
import { HOOK_IDEMPOTENCY_TTL_MS } from "../triggers/limits";
import { pruneFiringMetrics } from "./firing-metrics";
import { reapExpiredLeases } from "./lease-reaper";
import { planDueOccurrences, reanchorFutureWatermarks, type SchedulePlan } from "./occurrence-planner";
import { recoverOrphanedTasks } from "./recovery";
import { resumeDueSchedules } from "./pause-until";
import { retryBackoffFromEnv } from "./retries";
import { LaunchQueue } from "./launch-queue";
import { heartbeatRunner } from "./runner-registry";
import { abortRunningTask, runningTasksOf, sampleRss, type RunningTask } from "./running-tasks";
import { selectEarliestFires, selectTaskOwnership, selectWakeBounds } from "../db/queries/planning";
import { startWakeBus, type WakeBus } from "./wake-bus";
import { launchTask, type LaunchClaim, type RuntimeResolver } from "./task-launcher";
import { NotificationSender } from "../notifications/sender";
import {
  CANCEL_WAIT_MS,
  CLOCK_JUMP_THRESHOLD_MS,
  HEARTBEAT_INTERVAL_MS,
  MAX_SLEEP_MS,
  METRICS_PRUNE_INTERVAL_MS,
  PLAN_BUSY_BACKOFF_MS,
  PASS_LIVENESS_MIN_INTERVAL_MS,
  EARLY_WAKE_MAX_MS,
  PLAN_ERROR_BACKOFF_MS,
  RUNNER_STALE_MS,
  QUIET_COLLECT_DELAY_MS,
  QUIET_COLLECT_MIN_LEAD_MS,
} from "./tuning";
import { collectIfGrown } from "./quiet-collection";
import { executorHostQuiet } from "../runtimes/executor-host/host";
import { env } from "../env";

export interface SchedulerLoopOptions {
  db: Db;
  clock: Clock;
  runnerId: string;
  /** Default: resolveRuntime of src/lib/runtimes/registry.ts. Tests pass a test runtime. */
  resolveRuntime?: RuntimeResolver;
  /** Retry backoff per attempt, ms. Default: AGENTCRON_RETRY_BACKOFF_SEC or 1 m / 5 m / 15 m. */
  retryBackoffMs?: readonly number[];
  /**
   * Arm real-time timers (the wake timer and the heartbeat interval). Default true.
   * Tests driving a fake clock pass false and call runPass()/heartbeat() themselves;
   * pokes (task finished, chat streams empty) still run a pass.
   */
  timers?: boolean;
  /**
   * Spawn claimed tasks from the launch queue, after the pass and one per event-loop turn
   * (issue 15 item 0). Default: `timers` — the real-timer loop always queues. A hand-driven
   * loop (timers false) starts them synchronously at the END of runPass(), after the pass's
   * decisions and its armed wake, so a test sees its runs started when runPass() returns.
   */
  deferLaunches?: boolean;
  /**
   * Listen for changes made through other instances and announce this one's (ADR 0014,
   * wake-bus.ts). Default: `timers` — a hand-driven test loop has no bus.
   */
  crossInstanceWake?: boolean;
  /**
   * Force major garbage collections in quiet windows (ADR 0035, quiet-collection.ts).
   * Default: `timers` and AGENTCRON_QUIET_COLLECTION=on.
   */
  quietCollection?: boolean;
}

/**
 * Pokes whose cause other runners must hear about: new or changed work, or a freed slot.
 * Per-process causes (chat streams, clock jumps, a full drain batch) stay local.
 */
const SHARED_POKES = new Set(["schedule_saved", "settings_changed", "task_cancelled", "manual_run", "task_finished", "recovered", "notification_queued"]);

/** What one pass did (tests and logs). */
export interface PassReport {
  at: number;
  reaped: string[];
  recovered: number;
  plans: SchedulePlan[];
  claimed: string[];
  skippedAtFire: number;
  /** UTC ms of the next armed wake. */
  nextWakeAt: number;
  /**
   * The wake timer's delay (ms): nextWakeAt minus the wall clock read AFTER the pass's
   * work, so a long pass doesn't make the next occurrence late by its own length.
   */
  armDelayMs: number;
  /** A wall-clock step or suspend detected at the start of this pass (ADR 0006), or null. */
  clockJump: ClockJump | null;
  errors: string[];
  /** Tasks created by chaining in this pass (triggers/chaining.ts). */
  chained?: string[];
}

/**
 * One process's scheduler loop (DESIGN.md "Scheduler loop"). Each pass: (1) reap expired
 * leases and recover dead runners' tasks, (2) plan due occurrences, (3) drain the queue
 * and queue the claimed tasks' launches (LaunchQueue: spawned after the pass, one per
 * event-loop turn), (4) prune old metrics hourly and arm the next wake at the earliest of:
 * next due occurrence, a queued task's notBefore, a lease expiry, a chat-pressure release,
 * the next prune — the timer's delay counted from the clock read after the pass. Pokes (schedule saved, task finished,
 * chat streams empty) run a pass at once; there is no fixed poll. Passes are synchronous
 * (better-sqlite3), so two never interleave in one process. A failing phase, schedule or
 * task is logged and isolated; the loop goes on.
 */
export class SchedulerLoop implements SchedulerHandle {
  readonly runnerId: string;
  readonly db: Db;
  readonly clock: Clock;
  private readonly resolveRuntime: RuntimeResolver;
  private readonly retryBackoffMs: readonly number[];
  private readonly timers: boolean;
  private wakeTimer: NodeJS.Timeout | null = null;
  /** UTC ms the wake timer is armed for (when armed). */
  private wakeAt = Number.POSITIVE_INFINITY;
  /** Claimed tasks waiting to be spawned, after the pass that claimed them. */
  private readonly launches = new LaunchQueue();
  private readonly deferLaunches: boolean;
  /** Launches claimed during the current pass, started when it ends (deferLaunches false). */
  private readonly endOfPassLaunches: (() => void)[] = [];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Quiet-window collections (ADR 0035): on with real timers unless AGENTCRON_QUIET_COLLECTION=off. */
  private readonly quietCollection: boolean;
  /** The look for a quiet window QUIET_COLLECT_DELAY_MS after the last pass, when armed. */
  private quietTimer: NodeJS.Timeout | null = null;
  private pokePending = false;
  private inPass = false;
  /** The passes in progress (runPass), or the last ones: awaited by stop(). */
  private passes: Promise<void> = Promise.resolve();
  /** runPass calls waiting for the next pass to start and end. */
  private readonly passWaiters: { resolve: (report: PassReport | null) => void; reject: (err: unknown) => void }[] = [];
  private passAgain = false;
  private halted = false;
  private stopping = false;
  private lastPruneAt = Number.NEGATIVE_INFINITY;
  /** Monotonic ms of the last pass that stamped the heartbeat / looked for dead runners' tasks. */
  private lastPassHeartbeatMono = Number.NEGATIVE_INFINITY;
  private lastPassRecoverMono = Number.NEGATIVE_INFINITY;
  /** scheduleId → UTC ms before which its planning is not retried (it threw). */
  private readonly planBackoff = new Map<string, number>();
  private unsubscribeStreams: (() => void) | null = null;
  private readonly crossInstanceWake: boolean;
  private wakeBus: WakeBus | null = null;
  private wakeBusStopped: Promise<void> = Promise.resolve();
  /** Wall vs monotonic drift detector (ADR 0006). */
  private readonly clockWatch: ClockWatch;
  /** Monotonic ms before which dead runners are not judged by heartbeat age (a clock jump skews it). */
  private staleJudgeAfterMono = Number.NEGATIVE_INFINITY;
  lastPass: PassReport | null = null;
  passCount = 0;
  /** The notification outbox sender (issue 11, ADR 0015): kicked at the end of every pass. */
  readonly notifications: NotificationSender;

  constructor(opts: SchedulerLoopOptions) {
    this.db = opts.db;
    this.clock = opts.clock;
    this.runnerId = opts.runnerId;
    this.resolveRuntime = opts.resolveRuntime ?? defaultResolveRuntime;
    this.retryBackoffMs = opts.retryBackoffMs ?? retryBackoffFromEnv();
    this.timers = opts.timers ?? true;
    this.deferLaunches = opts.deferLaunches ?? this.timers;
    this.crossInstanceWake = opts.crossInstanceWake ?? this.timers;
    this.quietCollection = opts.quietCollection ?? (this.timers && env().AGENTCRON_QUIET_COLLECTION === "on");
    this.clockWatch = new ClockWatch(this.clock, CLOCK_JUMP_THRESHOLD_MS);
    this.notifications = new NotificationSender({ db: this.db, clock: this.clock, owner: this.runnerId, timers: this.timers });
  }

  /** First pass (recovery of orphans, catch-up planning, drain of what is queued), then timers. */
  async start(): Promise<void> {
    try {
      // A backward step while no runner ran leaves watermarks in the future (ADR 0006).
      await reanchorFutureWatermarks(this.db, this.clock.now());
    } catch (err) {
      console.error(`[agentcron] runner ${this.runnerId}: re-anchoring failed`, err);
    }
    await this.runPass();
    this.unsubscribeStreams = onStreamsEmpty(() => this.poke("chat_streams_empty"));
    if (this.crossInstanceWake) {
      try {
        const bus = await startWakeBus({ db: this.db, runnerId: this.runnerId, onWake: (reason) => this.poke(reason) });
        if (this.halted) this.wakeBusStopped = bus.stop();
        else this.wakeBus = bus;
      } catch (err) {
        console.error(`[agentcron] runner ${this.runnerId}: no cross-instance wake-ups (${(err as Error).message}); other instances' work waits for this loop's own wake`, err);
      }
    }
    if (this.timers) {
      this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
      this.heartbeatTimer.unref?.();
    }
  }

  /** Runs a pass soon (coalesced: several pokes in one tick make one pass). */
  poke(reason: string): void {
    if (SHARED_POKES.has(reason)) this.wakeBus?.announce(reason);
    if (this.halted || this.pokePending) return;
    this.pokePending = true;
    setImmediate(() => {
      this.pokePending = false;
      if (!this.halted) void this.runPass();
    });
  }

  /**
   * Liveness tick: stamps this runner's heartbeat, samples RSS for running tasks' peaks,
   * aborts local runs whose task left `running` elsewhere (cancelled or recovered by
   * another runner), and recovers dead runners' tasks.
   */
  async heartbeat(): Promise<void> {
    if (this.halted) return;
    const now = this.clock.now();
    try {
      if (await this.checkClock(now)) this.poke("clock_jump");
      await heartbeatRunner(this.db, this.runnerId, now);
      sampleRss();
      await this.abortTasksLostElsewhere();
      if (this.mayJudgeStaleness() && await recoverOrphanedTasks(this.db, this.runnerId, now, this.retryBackoffMs) > 0) this.poke("recovered");
    } catch (err) {
      console.error(`[agentcron] runner ${this.runnerId}: heartbeat failed`, err);
    }
  }

  /**
   * Detects a wall-clock step or a suspend since the last check and handles it
   * (clock-jumps.ts). For RUNNER_STALE_MS of monotonic time afterwards, other runners are
   * not declared dead by heartbeat age: their stamps were written on the other side of the jump.
   */
  private async checkClock(now: number): Promise<ClockJump | null> {
    const jump = this.clockWatch.check();
    if (!jump) return null;
    console.warn(`[agentcron] runner ${this.runnerId}: wall clock stepped ${jump.stepMs} ms, suspended ${jump.suspendedMs} ms`);
    this.staleJudgeAfterMono = this.clock.monotonic() + RUNNER_STALE_MS;
    await handleClockJump(this.db, this.runnerId, jump, now);
    return jump;
  }

  private mayJudgeStaleness(): boolean {
    return this.clock.monotonic() >= this.staleJudgeAfterMono;
  }

  private async abortTasksLostElsewhere(): Promise<void> {
    const mine = runningTasksOf(this.runnerId);
    if (!mine.length) return;
    for (const entry of mine) {
      const row = await selectTaskOwnership(this.db, entry.taskId);
      if (!row || row.status !== "running" || row.runnerId !== this.runnerId) abortRunningTask(entry.taskId, "cancelled");
    }
  }

  /**
   * One pass now; resolves with its report. Passes never overlap in one process: a call
   * during a pass asks for one more, which starts when the current one ends, and resolves
   * with the report of that later pass (so what the caller wrote before calling is seen by
   * the pass it awaits, on a slow database too). Each call gets the report of the first pass
   * that starts after it, not of passes that pokes chain behind it. Resolves null on a halted
   * loop. Claimed tasks start in the background.
   */
  runPass(): Promise<PassReport | null> {
    if (this.halted) return Promise.resolve(null);
    const report = new Promise<PassReport | null>((resolve, reject) => this.passWaiters.push({ resolve, reject }));
    if (this.inPass) this.passAgain = true;
    else {
      this.inPass = true;
      this.passes = this.passUntilSettled();
    }
    return report;
  }

  /** Runs passes while another was asked for during one (runPass); each pass answers the calls made before it started. */
  private async passUntilSettled(): Promise<void> {
    this.launches.hold(); // launches start once a pass's claims are committed (drain), not before (ADR 0009)
    try {
      do {
        this.passAgain = false;
        const waiters = this.passWaiters.splice(0);
        try {
          const report = await this.pass();
          for (const w of waiters) w.resolve(report);
        } catch (err) {
          for (const w of waiters) w.reject(err);
        }
      } while (this.passAgain && !this.halted);
    } finally {
      this.inPass = false;
      for (const w of this.passWaiters.splice(0)) w.resolve(null); // asked for during the last pass of a halted loop
      for (const start of this.endOfPassLaunches.splice(0)) start();
      this.launches.resume();
      this.armQuietCheck();
    }
  }

  /** Looks for a quiet window QUIET_COLLECT_DELAY_MS after this pass (a later pass moves the look). */
  private armQuietCheck(): void {
    if (!this.quietCollection || this.halted) return;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = null;
      this.collectIfQuiet();
    }, QUIET_COLLECT_DELAY_MS);
    this.quietTimer.unref?.();
  }

  /**
   * ADR 0035: when nothing of the scheduler's is in flight or due soon — no pass, no launch
   * waiting, no chat streaming, the next armed wake at least QUIET_COLLECT_MIN_LEAD_MS away —
   * the main thread and the executor host's thread each run their major garbage collection
   * now if their heap grew enough for V8's own to come soon, instead of V8 starting it during
   * the next burst of claims and launches.
   */
  private collectIfQuiet(): void {
    if (this.halted || this.inPass || this.launches.pending > 0 || activeStreamCount() > 0) return;
    if (this.wakeAt - this.clock.now() < QUIET_COLLECT_MIN_LEAD_MS) return;
    collectIfGrown();
    executorHostQuiet();
  }

  private async pass(): Promise<PassReport> {
    // One reading of both clocks for the whole pass: its phases yield to the event loop, and
    // every decision of a pass is taken at the same instant.
    const now = this.clock.now();
    const monoNow = this.clock.monotonic();
    const report: PassReport = { at: now, reaped: [], recovered: 0, plans: [], claimed: [], skippedAtFire: 0, nextWakeAt: now + MAX_SLEEP_MS, armDelayMs: MAX_SLEEP_MS, errors: [], clockJump: null };
    const phase = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        report.errors.push(`${name}: ${dbErrorMessage(err)}`);
        console.error(`[agentcron] scheduler ${name} failed`, err);
      }
      // The next phase starts on a fresh turn of the event loop (issue 15 item 2). On SQLite
      // every statement is synchronous and `await` only queues a microtask, so without this a
      // whole pass (plan, drain, launch…) ran as ONE macrotask: a chat delta, a timer or a
      // request waited for all of it — the ~15 ms stall once a second that bounded loop delay
      // p99. PostgreSQL already yields at every round trip; interleaving is the same as there.
      // (After a phase, not before: the clock check runs in the turn that read `now`.)
      if (name !== "arm") await yieldToEventLoop();
    };
    let holdUntil: number | null = null;
    let drainMore = false;
    let chainMore = false;
    await phase("clock", async () => {
      report.clockJump = await this.checkClock(now);
    });
    // With real timers the liveness tick does both every HEARTBEAT_INTERVAL_MS; a pass adds them
    // at most once per PASS_LIVENESS_MIN_INTERVAL_MS. Without (tests), every pass does.
    const livenessDue = (last: number) => !this.timers || monoNow - last >= PASS_LIVENESS_MIN_INTERVAL_MS;
    await phase("heartbeat", async () => {
      if (!livenessDue(this.lastPassHeartbeatMono)) return;
      await heartbeatRunner(this.db, this.runnerId, now);
      this.lastPassHeartbeatMono = monoNow;
    });
    await phase("reap", async () => {
      report.reaped = await reapExpiredLeases(this.db, this.runnerId, now, this.retryBackoffMs, monoNow);
    });
    await phase("recover", async () => {
      if (!this.mayJudgeStaleness() || !livenessDue(this.lastPassRecoverMono)) return;
      report.recovered = await recoverOrphanedTasks(this.db, this.runnerId, now, this.retryBackoffMs);
      this.lastPassRecoverMono = monoNow;
    });
    await phase("resume", async () => {
      await resumeDueSchedules(this.db, now); // pause-until (calendar controls)
    });
    await phase("plan", async () => {
      for (const [id, until] of this.planBackoff) if (until <= now) this.planBackoff.delete(id);
      const res = await planDueOccurrences(this.db, now, this.retryBackoffMs, new Set(this.planBackoff.keys()));
      report.plans = res.plans;
      for (const id of res.failed) this.planBackoff.set(id, now + PLAN_ERROR_BACKOFF_MS);
      // Another runner is planning these right now (ADR 0013): look again shortly, don't spin.
      for (const id of res.busy) this.planBackoff.set(id, now + PLAN_BUSY_BACKOFF_MS);
      for (const plan of res.plans) for (const id of plan.cancelledRunning) abortRunningTask(id, "cancelled");
    });
    await phase("chain", async () => {
      // Dependent schedules (issue 12 item 7): a success poked this pass (task_finished), so
      // the downstream task is queued here and drained just below, well within a second.
      const res = await planChainedTasks(this.db, now, this.retryBackoffMs);
      report.chained = res.created;
      chainMore = res.more;
      for (const id of res.cancelledRunning) abortRunningTask(id, "cancelled"); // the downstream's cancel_other
    });
    await phase("drain", async () => {
      const settings = await getSettings(this.db);
      const res = await drainQueue({ db: this.db, now, runnerId: this.runnerId, settings, chatStreams: activeStreamCount(), clock: this.clock });
      report.skippedAtFire = res.skippedAtFire;
      holdUntil = res.holdUntil;
      drainMore = res.more;
      for (const claim of res.claimed) {
        await this.launch(claim);
        report.claimed.push(claim.task.id);
      }
      // The claims are committed: their launches start now, one per event-loop turn between
      // the pass's last phases, instead of after the wake is armed (ADR 0009 amendment of
      // 2026-12-04: ~3 ms sooner for a burst of 10).
      this.launches.resume();
    });
    await phase("prune", async () => {
      if (now - this.lastPruneAt >= METRICS_PRUNE_INTERVAL_MS) {
        await pruneFiringMetrics(this.db, now);
        await deleteExpiredIdempotencyKeys(this.db, now - HOOK_IDEMPOTENCY_TTL_MS);
        this.lastPruneAt = now;
      }
    });
    await phase("notify", async () => {
      // Causes committed in or before this pass (task finished, occurrences planned) are sent in the background.
      this.notifications.kick();
    });
    await phase("arm", async () => {
      if (drainMore || chainMore) {
        // A full drain batch made progress: drain the rest at once, after the event loop had a turn.
        report.nextWakeAt = now;
        report.armDelayMs = 0;
        this.poke("drain_batch_full");
        return;
      }
      report.nextWakeAt = await this.computeWake(now, holdUntil);
      // The pass took time (planning, claims, writes): count the delay from now, not from its start.
      report.armDelayMs = this.arm(report.nextWakeAt, this.clock.now());
    });
    this.lastPass = report;
    this.passCount += 1;
    return report;
  }

  private async computeWake(now: number, holdUntil: number | null): Promise<number> {
    let wake = Math.min(now + MAX_SLEEP_MS, this.lastPruneAt + METRICS_PRUNE_INTERVAL_MS);
    if (holdUntil != null) wake = Math.min(wake, holdUntil);
    const due = await selectEarliestFires(this.db, this.planBackoff.size + 1);
    for (const s of due) {
      const backoff = this.planBackoff.get(s.id);
      if (backoff != null) {
        wake = Math.min(wake, backoff);
        continue;
      }
      wake = Math.min(wake, s.nextFireAt);
      break;
    }
    const bounds = await selectWakeBounds(this.db, now, this.runnerId);
    if (bounds.notBefore != null) wake = Math.min(wake, bounds.notBefore);
    if (bounds.leaseExpiry != null) wake = Math.min(wake, bounds.leaseExpiry);
    if (bounds.pausedUntil != null) wake = Math.min(wake, Math.max(bounds.pausedUntil, now)); // pause-until (calendar controls)
    return wake;
  }

  /** Arms the wake timer for `wakeAt` (UTC ms) given the current wall time `now`; returns the delay (ms). */
  private arm(wakeAt: number, now: number): number {
    const delay = Math.min(Math.max(0, wakeAt - now), 2 ** 31 - 1);
    if (!this.timers || this.halted) return delay;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = wakeAt;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      const now = this.clock.now();
      if (wakeAt > now && wakeAt - now <= EARLY_WAKE_MAX_MS) {
        this.arm(wakeAt, now); // fired early: nothing is due yet (EARLY_WAKE_MAX_MS)
        return;
      }
      this.wakeAt = Number.POSITIVE_INFINITY;
      void this.runPass();
    }, delay);
    this.wakeTimer.unref?.();
    return delay;
  }

  /**
   * Makes sure the loop wakes by `at` (UTC ms) without running a pass: Run now uses it so
   * the reaper sees a manual task's lease expiry on time. Only ever moves the wake earlier.
   */
  wakeBy(at: number): void {
    if (this.halted) return;
    const armedFor = this.timers ? this.wakeAt : (this.lastPass?.nextWakeAt ?? Number.POSITIVE_INFINITY);
    if (at >= armedFor) return;
    if (this.lastPass) this.lastPass = { ...this.lastPass, nextWakeAt: at };
    this.arm(at, this.clock.now());
  }

  /**
   * Starts a task this runner claimed (drain, Run now, rerun): registered as running at
   * once, spawned from the launch queue after the current pass/request (launchTask).
   */
  async launch(claim: LaunchClaim): Promise<RunningTask> {
    return launchTask(
      {
        db: this.db,
        clock: this.clock,
        runnerId: this.runnerId,
        resolveRuntime: this.resolveRuntime,
        retryBackoffMs: this.retryBackoffMs,
        isStopping: () => this.stopping,
        onFinished: () => this.poke("task_finished"),
        defer: (start, drop) => {
          if (this.deferLaunches) this.launches.enqueue(start, drop);
          else if (this.inPass) this.endOfPassLaunches.push(start);
          else start();
        },
      },
      claim,
    );
  }

  /** Resolves when the passes in progress (if any) have ended; a halted loop starts no more. */
  async passesSettled(): Promise<void> {
    await this.passes;
  }

  /** Resolves when every run this runner started has ended and been written. */
  async idle(): Promise<void> {
    let mine = runningTasksOf(this.runnerId);
    while (mine.length) {
      await Promise.all(mine.map((t) => t.done));
      mine = runningTasksOf(this.runnerId);
    }
  }

  /**
   * Stops timers, pokes and heartbeats, leaving running tasks alone: what a frozen or
   * crashed process looks like to the other runners (tests simulate crashes with it).
   * Claimed launches not yet spawned are given up (their rows stay `running`: recovery).
   */
  halt(): void {
    this.halted = true;
    this.launches.dropAll();
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = Number.POSITIVE_INFINITY;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.wakeTimer = this.heartbeatTimer = this.quietTimer = null;
    this.unsubscribeStreams?.();
    this.unsubscribeStreams = null;
    void this.notifications.stop();
    if (this.wakeBus) this.wakeBusStopped = this.wakeBus.stop();
    this.wakeBus = null;
  }

  /**
   * Clean shutdown: halts the loop, aborts this runner's runs (the runtimes kill their
   * process trees) and waits for them up to CANCEL_WAIT_MS. Their rows stay `running`
   * on purpose: the next runner recovers them as `runtime_recovery` and retries them.
   */
  async stop(): Promise<void> {
    this.halt();
    this.stopping = true;
    // A pass in progress finishes its phases (its writes) before the runs are aborted and
    // the caller may close the database.
    await this.passes;
    await this.wakeBusStopped;
    await this.notifications.stop();
    const mine = runningTasksOf(this.runnerId);
    for (const t of mine) abortRunningTask(t.taskId, "shutdown");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(mine.map((t) => t.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CANCEL_WAIT_MS);
        timer.unref?.();
      }),
    ]);
    clearTimeout(timer);
    if (getSchedulerHandle() === this) setSchedulerHandle(null);
  }
}

/**
 * The scheduler loop running in this process (Run now and cancel use it), or null: the
 * one handle control.ts holds, which startScheduler only ever sets to a SchedulerLoop.
 * (No `instanceof`: routes and instrumentation are separate bundles with separate classes.)
 */
export function getSchedulerLoop(): SchedulerLoop | null {
  return getSchedulerHandle() as SchedulerLoop | null;
}

/** The scheduler's clock (the injected one once it runs, else the system clock): routes share its notion of now. */
export function schedulerClock(): Clock {
  return getSchedulerLoop()?.clock ?? systemClock;
}

/** Resolves on a later turn of the event loop (after pending I/O and timers' callbacks). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
