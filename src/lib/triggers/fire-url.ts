import "server-only";
import type { Db } from "../db/client";
import { deleteExpiredIdempotencyKeys, insertIdempotencyKey, selectIdempotencyKey } from "../db/queries/triggers";
import { selectScheduleById } from "../db/queries/tasks-core";
import type { ScheduleRow } from "../db/schema";
import { isUniqueViolation } from "../db/sql";
import { AppError } from "../errors";
import { assertScheduleActive } from "../schedules/service";
import { requireSchedulerLoop, startManualTask } from "../tasks/manual-run";
import { taskTemplateFromSchedule } from "../tasks/run-state";
import { hookTokenMatches } from "./hook-token";
import { HOOK_BODY_MAX_BYTES, HOOK_IDEMPOTENCY_TTL_MS, IDEMPOTENCY_KEY_MAX } from "./limits";

/**
 * The fire URL (issue 12 item 1; API.md v2 "Triggers and calendar"; ADR
 * 0019-triggers-hook-auth-and-chaining): `POST /api/hooks/:scheduleId` with the schedule's
 * own bearer token creates a manual task through the Run now code (startManualTask), so it
 * honours the cap the same way (429 + `slotEtaSec`, `?force=true`).
 */

export { HOOK_BODY_MAX_BYTES, HOOK_IDEMPOTENCY_TTL_MS, IDEMPOTENCY_KEY_MAX };

/** POST /api/hooks/:scheduleId answer. */
export interface HookFired {
  taskId: string;
  /** True when an earlier call with the same Idempotency-Key created the task. */
  duplicate: boolean;
  forced: boolean;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(headers: Headers): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1] ?? null;
}

/**
 * The schedule a fire URL call may fire: it exists, has a fire URL token, and `token`
 * matches it (constant time, hook-token.ts). Every failure is the same 401, so a caller
 * can't tell an unknown schedule from a wrong or rotated token, and schedule A's token
 * never opens schedule B (each schedule has its own hash).
 * @throws AppError 401 `unauthorized`.
 */
export async function authenticateHook(db: Db, scheduleId: string, token: string | null): Promise<ScheduleRow> {
  const schedule = await selectScheduleById(db, scheduleId);
  // Hash and compare even when there is nothing to compare with: the timing doesn't tell.
  const ok = hookTokenMatches(token ?? "", schedule?.hookTokenHash ?? "0".repeat(64));
  if (!schedule || !schedule.hookTokenHash || token === null || !ok) {
    throw new AppError("unauthorized", "Send Authorization: Bearer <fire URL token> (generate one in the schedule's Fire URL section; a rotated token stops working).");
  }
  return schedule;
}

/**
 * The `Idempotency-Key` header checked: null when absent.
 * @throws AppError 400 `invalid_request` (`fields["Idempotency-Key"]`) when empty, longer than
 *   IDEMPOTENCY_KEY_MAX or not printable ASCII.
 */
export function idempotencyKeyOf(headers: Headers): string | null {
  const key = headers.get("idempotency-key");
  if (key === null) return null;
  if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX || !/^[\x21-\x7e]+$/.test(key)) {
    throw new AppError("invalid_request", `The Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces.`, {
      fields: { "Idempotency-Key": `must be 1 to ${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces` },
    });
  }
  return key;
}

/**
 * Fires an authenticated schedule (authenticateHook) once: a manual task (`triggerKind`
 * hook, the body's compact JSON as `triggerBody`) created and claimed like Run now. With an
 * `idempotencyKey`, a key seen for this schedule within HOOK_IDEMPOTENCY_TTL_MS answers that
 * first task with `duplicate: true` and creates nothing; the key row is written in the task's
 * transaction (a 429 leaves neither, so the caller's retry creates the task), and a
 * concurrent twin loses on the key's primary key and answers the winner's task. Expired keys
 * are deleted on the way.
 * @param body the parsed JSON body, undefined when none.
 * @throws AppError 409 `schedule_not_active`, 429 `capacity_full` (`slotEtaSec`), 503 `scheduler_not_ready`.
 */
export async function fireHook(
  db: Db,
  schedule: ScheduleRow,
  { body, idempotencyKey, force }: { body: unknown; idempotencyKey: string | null; force: boolean },
): Promise<HookFired> {
  assertScheduleActive(schedule);
  const now = requireSchedulerLoop().clock.now();
  const expiredBefore = now - HOOK_IDEMPOTENCY_TTL_MS;
  if (idempotencyKey !== null) {
    await deleteExpiredIdempotencyKeys(db, expiredBefore);
    const seen = await selectIdempotencyKey(db, schedule.id, idempotencyKey, expiredBefore);
    if (seen) return { taskId: seen.taskId, duplicate: true, forced: false };
  }
  const trigger = { triggerKind: "hook" as const, triggerBody: body === undefined ? null : JSON.stringify(body) };
  try {
    const run = await startManualTask(db, taskTemplateFromSchedule(schedule), force, false, {
      trigger,
      inTransaction:
        idempotencyKey === null
          ? undefined
          : (tx, taskId) => insertIdempotencyKey(tx, { scheduleId: schedule.id, key: idempotencyKey, taskId, createdAt: now }, expiredBefore),
    });
    return { taskId: run.taskId, duplicate: false, forced: run.forced };
  } catch (err) {
    if (idempotencyKey === null || !isUniqueViolation(err)) throw err;
    const seen = await selectIdempotencyKey(db, schedule.id, idempotencyKey, expiredBefore);
    if (!seen) throw err;
    return { taskId: seen.taskId, duplicate: true, forced: false };
  }
}
