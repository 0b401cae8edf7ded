import "server-only";
import { randomUUID } from "node:crypto";
import type { ScheduleDto } from "../api-types";
import { getDb, type Db, withTransaction } from "../db/client";
import { runtimeExists, selectRuntime } from "../db/queries/runtimes";
import { deleteScheduleRow, insertSchedule, selectSchedule, selectSchedules, updateScheduleRow } from "../db/queries/schedules";
import type { ScheduleRow } from "../db/schema";
import { AppError, invalidRequest, notFound } from "../errors";
import { recordEvent } from "../events/log";
import { runtimeRunProblem } from "../runtimes/runnable";
import { getDefaultRuntime } from "../runtimes/service";
import { pokeScheduler } from "../scheduler/control";
import { toIso } from "../time/clock";
import { computeCollisionWarnings, type CollisionWarning } from "./collisions";
import { SCHEDULE_DEFAULTS } from "./defaults";
import { CALENDAR_DEFAULTS } from "./calendar";
import { applyCalendarInput } from "./calendar-service";
import { CronError, describeCron, nextOccurrences, normalizeCron, requireNextOccurrence } from "./cron";
import { NO_CRON_NO_UPSTREAM, type ScheduleCreateInput, type SchedulePatchInput } from "./input";
import { expandCronMacro, parsePlainWords } from "./plain-words";
import { assertDependencyAllowed, dependencyColumns } from "../triggers/chaining";
import { SCHEDULE_TRIGGER_DEFAULTS } from "../triggers/schedule-fields";
import { notificationFieldsOf, notificationPatchOf, serializeNotificationFields } from "../notifications/schedule-fields";
import { assertChannelsExist } from "../notifications/channels";

export interface ScheduleSaved {
  schedule: ScheduleRow;
  warnings: CollisionWarning[];
}

/**
 * Resolves `cronExpression` or plain-words `schedule` plus timezone into a validated,
 * normalized cron expression that fires within OCCURRENCE_HORIZON_MS after `now` (UTC ms).
 * @throws AppError 400 `invalid_request` naming `cronExpression`, `schedule` or `timezone`.
 */
export function resolveCron(input: { cronExpression?: string; schedule?: string }, timezone: string, now: number = Date.now()): string {
  let expression = input.cronExpression;
  let field: "cronExpression" | "schedule" = "cronExpression";
  if (expression === undefined && input.schedule !== undefined) {
    field = "schedule";
    // Plain words first; a cron expression typed into the plain-words box also works.
    const words = parsePlainWords(input.schedule);
    if (words && "refused" in words) throw invalidRequest({ schedule: words.refused });
    expression = words?.cron ?? input.schedule;
  } else if (expression !== undefined) {
    expression = expandCronMacro(expression) ?? expression; // "@daily" typed as cron
  }
  let normalized: string;
  try {
    normalized = normalizeCron(expression ?? "", timezone);
  } catch (err) {
    if (err instanceof CronError) {
      if (err.field === "timezone") throw invalidRequest({ timezone: err.message });
      throw invalidRequest({
        [field]:
          field === "schedule"
            ? `"${input.schedule}" is not understood: use plain words such as "every 15 minutes", "weekdays at 9:00", "daily at 18:30", or a cron expression`
            : err.message,
      });
    }
    throw err;
  }
  firstFireAt(normalized, timezone, now, field);
  return normalized;
}

/**
 * The first occurrence after `now` (UTC ms) of a schedule being saved or resumed: a
 * cron with no occurrence within OCCURRENCE_HORIZON_MS (e.g. "0 0 30 2 *") is refused,
 * never stored active with a NULL nextFireAt (invariant 6; docs/design.md "Time zones
 * and DST").
 * @throws AppError 400 `invalid_request` naming `field` (or `timezone`).
 */
export function firstFireAt(cronExpression: string, timezone: string, now: number, field: "cronExpression" | "schedule" | "runOnceAt" = "cronExpression"): number {
  try {
    return requireNextOccurrence(cronExpression, timezone, now);
  } catch (err) {
    if (err instanceof CronError) throw invalidRequest({ [err.field === "timezone" ? "timezone" : field]: err.message });
    throw err;
  }
}

async function assertRuntimeExists(db: Db, runtimeId: string | null | undefined): Promise<void> {
  if (!runtimeId) return;
  if (!(await runtimeExists(db, runtimeId))) throw invalidRequest({ runtimeId: `unknown runtime ${runtimeId}` });
}

/**
 * An active schedule needs a runnable runtime (issue 13 item 1: no "started" for a run
 * that can't start): the named runtime, or the default one when `runtimeId` is null,
 * must exist and pass runtimeRunProblem (runtimes/runnable.ts).
 * @throws AppError 400 `invalid_request` with `fields.runtimeId`.
 */
async function assertRunnableRuntime(db: Db, runtimeId: string | null): Promise<void> {
  const row = runtimeId ? await selectRuntime(db, runtimeId) : await getDefaultRuntime(db);
  if (runtimeId && !row) throw invalidRequest({ runtimeId: `unknown runtime ${runtimeId}` });
  if (!row) throw invalidRequest({ runtimeId: "has no runtime to run it: add a runtime in Settings first, or save the schedule paused" });
  const problem = runtimeRunProblem(row);
  if (problem) throw invalidRequest({ runtimeId: `is not runnable: ${problem}; fix the runtime, pick another, or save the schedule paused` });
}

/** Every schedule, oldest first. */
export async function listSchedules(db: Db = getDb()): Promise<ScheduleRow[]> {
  return selectSchedules(db);
}

/**
 * One schedule.
 * @throws AppError 404 `schedule_not_found`.
 */
export async function getSchedule(id: string, db: Db = getDb()): Promise<ScheduleRow> {
  const row = await selectSchedule(db, id);
  if (!row) throw notFound("schedule", id);
  return row;
}

/**
 * A new `expiresAt` must lie after `now` (a schedule that expired before it was saved
 * is a mistake, not a plan); null/undefined pass.
 * @throws AppError 400 `invalid_request` with `fields.expiresAt`.
 */
function assertExpiresInFuture(expiresAt: number | null | undefined, now: number): void {
  if (expiresAt != null && expiresAt <= now) throw invalidRequest({ expiresAt: "must be in the future" });
}

/**
 * Creates a schedule; computes `nextFireAt` (first occurrence after `now`) before
 * anything can run (invariant 6). Occurrences before `now` are never planned for it.
 * @param now UTC ms.
 * @throws AppError 400 `invalid_request` (bad cron, timezone, unknown runtime; an active
 *   schedule without a runnable runtime → `fields.runtimeId`).
 */
export async function createSchedule(input: ScheduleCreateInput, now: number, db: Db = getDb()): Promise<ScheduleSaved> {
  const timezone = input.timezone ?? SCHEDULE_DEFAULTS.timezone;
  // A one-shot (runOnceAt) brings its own cron; applyCalendarInput sets it below.
  // No cron at all is allowed with an upstream (ADR 0024): the schedule runs only after it.
  const chainedOnly = input.cronExpression == null && input.schedule === undefined && input.runOnceAt === undefined;
  if (chainedOnly && !input.dependsOnScheduleId) throw invalidRequest({ cronExpression: NO_CRON_NO_UPSTREAM });
  const cronExpression: string | null = chainedOnly
    ? null
    : input.runOnceAt !== undefined && input.cronExpression == null && input.schedule === undefined
      ? "0 0 1 1 *"
      : resolveCron({ cronExpression: input.cronExpression ?? undefined, schedule: input.schedule }, timezone, now);
  assertExpiresInFuture(input.expiresAt, now);
  const status = input.status ?? SCHEDULE_DEFAULTS.status;
  if (status === "active") await assertRunnableRuntime(db, input.runtimeId ?? null);
  else await assertRuntimeExists(db, input.runtimeId);
  if (input.dependsOnScheduleId) await assertDependencyAllowed(db, null, input.dependsOnScheduleId);
  await assertChannelsExist(db, input.notificationChannelIds);
  const row: ScheduleRow = {
    id: randomUUID(),
    name: input.name,
    prompt: input.prompt,
    cronExpression,
    timezone,
    runtimeId: input.runtimeId ?? null,
    concurrencyGroup: input.concurrencyGroup ?? null, // concurrency groups (issue 12 item 4)
    status,
    pausedReason: status === "paused" ? "paused_by_user" : null,
    maxTurns: input.maxTurns ?? null,
    maxTurnsSetAt: input.maxTurns != null ? now : null,
    maxRunDurationSec: input.maxRunDurationSec ?? SCHEDULE_DEFAULTS.maxRunDurationSec,
    maxAttempts: input.maxAttempts ?? SCHEDULE_DEFAULTS.maxAttempts,
    overlapPolicy: input.overlapPolicy ?? SCHEDULE_DEFAULTS.overlapPolicy,
    catchUpPolicy: input.catchUpPolicy ?? SCHEDULE_DEFAULTS.catchUpPolicy,
    catchUpWindowSec: input.catchUpWindowSec ?? SCHEDULE_DEFAULTS.catchUpWindowSec,
    maxFirings: input.maxFirings ?? SCHEDULE_DEFAULTS.maxFirings,
    expiresAt: input.expiresAt ?? SCHEDULE_DEFAULTS.expiresAt,
    firingCount: 0,
    nextFireAt: status === "active" && cronExpression !== null ? firstFireAt(cronExpression, timezone, now) : null,
    lastPlannedAt: now,
    lastFiredAt: null,
    avgTurnsPerFiring: null,
    lastTurnCount: null,
    failureStreak: 0,
    turnBudgetBreachStreak: 0,
    lastFailureReason: null,
    ...SCHEDULE_TRIGGER_DEFAULTS,
    ...dependencyColumns(input.dependsOnScheduleId ?? null, now),
    ...CALENDAR_DEFAULTS,
    // --- spend (src/lib/budgets) ---
    maxCostUsdPerRun: input.maxCostUsdPerRun ?? null,
    maxCostUsd24h: input.maxCostUsd24h ?? null,
    maxCostUsd7d: input.maxCostUsd7d ?? null,
    // --- end spend ---
    ...notificationFieldsOf(input),
    createdAt: now,
    updatedAt: now,
  };
  // ---- Calendar controls (ADR 0015): window, exclusions, jitter, one-shot, pause-until ----
  applyCalendarInput(row, input, now);
  if (row.status === "active" && row.cronExpression !== null) row.nextFireAt = firstFireAt(row.cronExpression, timezone, now, input.runOnceAt !== undefined ? "runOnceAt" : "cronExpression");
  // ---- end calendar controls ----
  await withTransaction(db, async (tx) => {
        await insertSchedule(tx, row);
        await recordEvent(tx, { kind: "schedule_created", scheduleId: row.id, message: `Schedule "${row.name}" created`, createdAt: now });
      });
  pokeScheduler("schedule_saved");
  return { schedule: row, warnings: await computeCollisionWarnings(db, row) };
}

/**
 * Applies a partial update. Changing the cron or timezone, or resuming, recomputes
 * `nextFireAt` from `now` and sets `lastPlannedAt = now` (occurrences before the change
 * or during a pause are not caught up). Resuming clears `pausedReason` and both failure
 * streaks; editing `maxTurns` stamps `maxTurnsSetAt` (first-breach grace). Resuming, or
 * changing the runtime of an active schedule, requires a runnable runtime.
 * @param now UTC ms.
 * @throws AppError 404 `schedule_not_found`, 400 `invalid_request` (also when resuming a
 *   schedule whose stored cron is invalid, e.g. auto-paused for `invalid_cron`; and
 *   `fields.runtimeId` when the resulting active schedule has no runnable runtime).
 */
export async function updateSchedule(id: string, patch: SchedulePatchInput, now: number, db: Db = getDb()): Promise<ScheduleSaved> {
  const current = await getSchedule(id, db);
  const timezone = patch.timezone ?? current.timezone;
  const cronChanged = patch.cronExpression !== undefined || patch.schedule !== undefined || patch.timezone !== undefined;
  // Resuming re-checks the stored cron too: a schedule auto-paused for `invalid_cron`
  // answers 400 naming cronExpression until the request brings a valid one.
  const resuming = patch.status === "active" && current.status !== "active";
  // `cronExpression: null` (or a stored null kept) = chained only; it needs an upstream (ADR 0024).
  const wantsNoCron = patch.schedule === undefined && (patch.cronExpression === null || (patch.cronExpression === undefined && current.cronExpression === null));
  const dependsOnAfter = patch.dependsOnScheduleId !== undefined ? patch.dependsOnScheduleId : current.dependsOnScheduleId;
  if (wantsNoCron && !dependsOnAfter && patch.runOnceAt === undefined) throw invalidRequest({ cronExpression: NO_CRON_NO_UPSTREAM });
  const cronExpression: string | null = wantsNoCron
    ? null
    : cronChanged || resuming
      ? resolveCron(
          patch.cronExpression != null || patch.schedule !== undefined
            ? { cronExpression: patch.cronExpression ?? undefined, schedule: patch.schedule }
            : { cronExpression: current.cronExpression ?? undefined },
          timezone,
          now,
        )
      : current.cronExpression;
  if (patch.runtimeId !== undefined) await assertRuntimeExists(db, patch.runtimeId);
  assertExpiresInFuture(patch.expiresAt, now);

  const next: ScheduleRow = { ...current, updatedAt: now, cronExpression, timezone };
  for (const key of [
    "name", "prompt", "runtimeId", "maxRunDurationSec", "maxAttempts", "overlapPolicy",
    "catchUpPolicy", "catchUpWindowSec", "maxFirings", "expiresAt",
    "maxCostUsdPerRun", "maxCostUsd24h", "maxCostUsd7d", // spend (src/lib/budgets)
  ] as const) {
    if (patch[key] !== undefined) (next as Record<string, unknown>)[key] = patch[key];
  }
  // Triggers: a new dependency counts upstream successes from now on (dependsOnSince).
  if (patch.dependsOnScheduleId !== undefined && patch.dependsOnScheduleId !== current.dependsOnScheduleId) {
    if (patch.dependsOnScheduleId) await assertDependencyAllowed(db, id, patch.dependsOnScheduleId);
    Object.assign(next, dependencyColumns(patch.dependsOnScheduleId, now));
  }
  if (patch.concurrencyGroup !== undefined) next.concurrencyGroup = patch.concurrencyGroup; // concurrency groups (issue 12 item 4)
  // notifications (issue 11): channel set, events, quiet marker
  await assertChannelsExist(db, patch.notificationChannelIds);
  Object.assign(next, notificationPatchOf(patch));
  if (patch.maxTurns !== undefined && patch.maxTurns !== current.maxTurns) {
    next.maxTurns = patch.maxTurns;
    next.maxTurnsSetAt = now;
  }

  let statusEvent: "schedule_paused" | "schedule_resumed" | null = null;
  if (patch.status === "paused" && current.status !== "paused") {
    next.status = "paused";
    next.pausedReason = "paused_by_user";
    next.nextFireAt = null;
    statusEvent = "schedule_paused";
  } else if (patch.status === "active" && current.status !== "active") {
    next.status = "active";
    next.pausedReason = null;
    next.failureStreak = 0;
    next.turnBudgetBreachStreak = 0;
    statusEvent = "schedule_resumed";
  }
  // Resuming, or moving an active schedule to another runtime, needs a runnable runtime.
  if (next.status === "active" && (statusEvent === "schedule_resumed" || patch.runtimeId !== undefined)) await assertRunnableRuntime(db, next.runtimeId);
  // ---- Calendar controls (ADR 0015): window, exclusions, jitter, one-shot, pause-until ----
  const calendar = applyCalendarInput(next, patch, now);
  if (calendar.paused && current.status !== "paused") statusEvent = "schedule_paused";
  if (calendar.paused && statusEvent === "schedule_resumed") statusEvent = "schedule_paused";
  // ---- end calendar controls ----
  if (next.cronExpression === null) {
    next.nextFireAt = null; // chained only: never due from the planner (ADR 0024)
  } else if (next.status === "active" && (cronChanged || calendar.cronChanged || statusEvent === "schedule_resumed" || next.nextFireAt === null)) {
    next.nextFireAt = firstFireAt(next.cronExpression, timezone, now, calendar.cronChanged ? "runOnceAt" : "cronExpression");
    next.lastPlannedAt = Math.max(current.lastPlannedAt ?? 0, now);
  }

  await withTransaction(db, async (tx) => {
        await updateScheduleRow(tx, id, next);
        await recordEvent(tx, {
          kind: statusEvent ?? "schedule_updated",
          scheduleId: id,
          message:
            statusEvent === "schedule_paused"
              ? `Schedule "${next.name}" paused`
              : statusEvent === "schedule_resumed"
                ? `Schedule "${next.name}" resumed`
                : `Schedule "${next.name}" updated`,
          data: { fields: Object.keys(patch) },
          createdAt: now,
        });
      });
  pokeScheduler("schedule_saved");
  return { schedule: next, warnings: await computeCollisionWarnings(db, next) };
}

/**
 * Deletes a schedule; its tasks stay in history under its id, and queued ones are
 * skipped at fire time (`schedule_deleted`).
 * @throws AppError 404 `schedule_not_found`.
 */
export async function deleteSchedule(id: string, now: number, db: Db = getDb()): Promise<void> {
  const current = await getSchedule(id, db);
  await withTransaction(db, async (tx) => {
        await deleteScheduleRow(tx, id);
        await recordEvent(tx, { kind: "schedule_deleted", scheduleId: id, message: `Schedule "${current.name}" deleted`, createdAt: now });
      });
  pokeScheduler("schedule_saved");
}

/**
 * Preview for the create/edit sheet: normalized cron, description, next `count` fires.
 * @param now UTC ms.
 * @throws AppError 400 `invalid_request`.
 */
export function previewSchedule(
  input: { cronExpression?: string; schedule?: string; timezone?: string; count?: number },
  now: number,
): { cronExpression: string; description: string; next: string[] } {
  const timezone = input.timezone ?? SCHEDULE_DEFAULTS.timezone;
  const cronExpression = resolveCron(input, timezone, now);
  return {
    cronExpression,
    description: describeCron(cronExpression),
    next: nextOccurrences(cronExpression, timezone, now, input.count ?? 5).map((ms) => new Date(ms).toISOString()),
  };
}

/** The plain-words description of a schedule without a cron (ADR 0024): it runs only after its upstream. */
export const CHAINED_ONLY_DESCRIPTION = "Only after its upstream schedule succeeds (no cron)";

function describeChainedOnly(s: Pick<ScheduleRow, "dependsOnScheduleId">): string {
  return s.dependsOnScheduleId ? CHAINED_ONLY_DESCRIPTION : "No cron and no upstream: never runs by itself";
}

/** API shape of a schedule (API.md `Schedule`): ISO timestamps, internal columns left out. */
export function serializeSchedule(s: ScheduleRow): ScheduleDto {
  return {
    id: s.id,
    name: s.name,
    prompt: s.prompt,
    cronExpression: s.cronExpression,
    description: s.cronExpression !== null ? describeCron(s.cronExpression) : describeChainedOnly(s),
    timezone: s.timezone,
    runtimeId: s.runtimeId,
    status: s.status,
    pausedReason: s.pausedReason,
    maxTurns: s.maxTurns,
    maxTurnsSetAt: toIso(s.maxTurnsSetAt),
    maxRunDurationSec: s.maxRunDurationSec,
    maxAttempts: s.maxAttempts,
    overlapPolicy: s.overlapPolicy,
    catchUpPolicy: s.catchUpPolicy,
    catchUpWindowSec: s.catchUpWindowSec,
    maxFirings: s.maxFirings,
    expiresAt: toIso(s.expiresAt),
    firingCount: s.firingCount,
    nextFireAt: toIso(s.nextFireAt),
    lastFiredAt: toIso(s.lastFiredAt),
    avgTurnsPerFiring: s.avgTurnsPerFiring,
    lastTurnCount: s.lastTurnCount,
    failureStreak: s.failureStreak,
    turnBudgetBreachStreak: s.turnBudgetBreachStreak,
    lastFailureReason: s.lastFailureReason,
    // --- triggers (issue 12 items 1, 7): never the token or its hash ---
    hookTokenSet: s.hookTokenHash !== null,
    hookTokenCreatedAt: toIso(s.hookTokenCreatedAt),
    dependsOnScheduleId: s.dependsOnScheduleId,
    // --- end triggers ---
    // --- spend (src/lib/budgets): caps; `usage` is attached by withScheduleUsage ---
    maxCostUsdPerRun: s.maxCostUsdPerRun,
    maxCostUsd24h: s.maxCostUsd24h,
    maxCostUsd7d: s.maxCostUsd7d,
    // --- end spend ---
    ...serializeNotificationFields(s),
    createdAt: toIso(s.createdAt)!,
    updatedAt: toIso(s.updatedAt)!,
    // ---- Calendar controls (ADR 0015) ----
    jitterSec: s.jitterSec,
    activeWindow: s.activeWindow,
    excludeDates: s.excludeDates ?? [],
    pausedUntil: toIso(s.pausedUntil),
    // ---- end calendar controls ----
    // concurrency groups (issue 12 item 4)
    concurrencyGroup: s.concurrencyGroup,
  };
}
export type { ScheduleDto };

/** Guard for callers that need an active schedule (Run now). */
export function assertScheduleActive(s: ScheduleRow): void {
  if (s.status !== "active") {
    throw new AppError("schedule_not_active", `Schedule "${s.name}" is ${s.status}; resume it before running it.`);
  }
}
