import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/client";
import { setHookTokenHash } from "../db/queries/triggers";
import { recordEvent } from "../events/log";
import { notFound } from "../errors";
import { withTransaction } from "../db/client";

/**
 * Fire URL tokens (issue 12 item 1; ADR 0019-triggers-hook-auth-and-chaining): 32 random
 * bytes, base64url, with a recognisable prefix (so a leaked one is easy to grep for in logs
 * and repositories). Only the SHA-256 is stored; the token is shown once.
 */
export const HOOK_TOKEN_PREFIX = "achk_";

/** SHA-256 hex of a token (what `schedules.hookTokenHash` holds). */
export function hashHookToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * True when `given` is the token whose hash is `storedHash`. Constant time in the token:
 * the given token is hashed and the two 32-byte digests compared with timingSafeEqual, so
 * neither its length nor a matching prefix shows in the timing. A missing token or hash → false.
 */
export function hookTokenMatches(given: string | null, storedHash: string | null): boolean {
  if (given === null || storedHash === null) return false;
  const expected = Buffer.from(storedHash, "hex");
  const actual = createHash("sha256").update(given, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

/**
 * Generates a new fire URL token for a schedule, replacing the previous one (which stops
 * working at once), and records a `hook_token_rotated` event (without the token).
 * Returns the token: the only time it is ever shown.
 * @param now UTC ms.
 * @throws AppError 404 `schedule_not_found`.
 */
export async function rotateHookToken(db: Db, scheduleId: string, now: number): Promise<string> {
  const token = HOOK_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  await withTransaction(db, async (tx) => {
    if (!(await setHookTokenHash(tx, scheduleId, hashHookToken(token), now))) throw notFound("schedule", scheduleId);
    await recordEvent(tx, { kind: "hook_token_rotated", scheduleId, message: "Fire URL token generated; any previous token stopped working", createdAt: now });
  });
  return token;
}

/**
 * Turns a schedule's fire URL off: the token is forgotten and every call answers 401.
 * @param now UTC ms.
 * @throws AppError 404 `schedule_not_found`.
 */
export async function revokeHookToken(db: Db, scheduleId: string, now: number): Promise<void> {
  await withTransaction(db, async (tx) => {
    if (!(await setHookTokenHash(tx, scheduleId, null, now))) throw notFound("schedule", scheduleId);
    await recordEvent(tx, { kind: "hook_token_revoked", scheduleId, message: "Fire URL turned off", createdAt: now });
  });
}
