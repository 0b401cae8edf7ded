import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import type { NotificationChannelDto, NotificationDeliveryDto } from "../api-types";
import { getDb, withTransaction, type Db } from "../db/client";
import type { NotificationChannelKind } from "../db/constants";
import { TEST_NOTIFICATION_TYPE } from "../db/constants";
import {
  deleteChannelRow,
  insertChannel,
  selectAttempts,
  selectChannel,
  selectChannelDeliveries,
  selectChannels,
  selectChannelsByIds,
  updateChannelRow,
} from "../db/queries/notifications";
import type { NotificationChannelRow } from "../db/schema";
import { isUniqueViolation } from "../db/sql";
import { AppError, invalidRequest } from "../errors";
import { toIso } from "../time/clock";
import { zodFields } from "../validation";
import { CONFIG_SCHEMAS, type ChannelCreateInput, type ChannelPatchInput } from "./channel-input";
import { enqueueNotification } from "./enqueue";

/**
 * Notification channels (issue 11 item 1; API.md v2 "Notifications"; docs/api.md). The
 * webhook secret / SMTP password lives in the channel's `secret` column, is returned once
 * (create, rotateSecret) and never again; logs never carry it.
 */

/** Most deliveries GET /:id/deliveries answers with. */
export const DELIVERIES_LIMIT_MAX = 200;

function channelNotFound(id: string): AppError {
  return new AppError("notification_channel_not_found", `No notification channel with id ${id}.`);
}

function nameTaken(name: string): AppError {
  return new AppError("notification_channel_name_taken", `A notification channel named "${name}" already exists; choose another name.`, { fields: { name: "is already used" } });
}

async function withNameGuard<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (name !== undefined && (isUniqueViolation(err, "notification_channels_name_unique") || isUniqueViolation(err, "notification_channels.name"))) throw nameTaken(name);
    throw err;
  }
}

/** A new webhook signing secret: 32 random bytes, hex (`whsec_` + 64 hex chars). */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("hex")}`;
}

/**
 * Splits a validated kind config into the stored (secret-free) config and the secret.
 * @throws AppError 400 `invalid_request` naming `config.<field>`.
 */
function parseConfig(kind: NotificationChannelKind, raw: Record<string, unknown>): { config: Record<string, unknown>; secret: string | null | undefined } {
  const parsed = CONFIG_SCHEMAS[kind].safeParse(raw);
  if (!parsed.success) {
    const fields = zodFields(parsed.error);
    throw invalidRequest(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === "body" ? "config" : `config.${k}`, v])));
  }
  const { secret, password, ...config } = parsed.data as Record<string, unknown> & { secret?: string; password?: string };
  return { config, secret: kind === "webhook" ? secret : kind === "email" ? password : null };
}

/** Every channel, by name. */
export async function listChannels(db: Db = getDb()): Promise<NotificationChannelRow[]> {
  return selectChannels(db);
}

/**
 * One channel.
 * @throws AppError 404 `notification_channel_not_found`.
 */
export async function getChannel(id: string, db: Db = getDb()): Promise<NotificationChannelRow> {
  const row = await selectChannel(db, id);
  if (!row) throw channelNotFound(id);
  return row;
}

/**
 * Creates a channel. A webhook without `config.secret` gets a generated one.
 * @param now UTC ms.
 * @returns the row and the secret to show once (webhook), else null.
 * @throws AppError 400 `invalid_request` (bad kind/config/URL scheme), 409 `notification_channel_name_taken`.
 */
export async function createChannel(input: ChannelCreateInput, now: number, db: Db = getDb()): Promise<{ channel: NotificationChannelRow; shownSecret: string | null }> {
  const { config, secret } = parseConfig(input.kind, input.config);
  const finalSecret = input.kind === "webhook" ? (secret ?? generateSecret()) : (secret ?? null);
  const row: NotificationChannelRow = {
    id: randomUUID(),
    name: input.name,
    kind: input.kind,
    config,
    secret: finalSecret,
    events: input.events ?? null,
    isDefault: input.isDefault ?? false,
    createdAt: now,
    updatedAt: now,
  };
  await withNameGuard(input.name, () => insertChannel(db, row));
  return { channel: row, shownSecret: input.kind === "webhook" ? finalSecret : null };
}

/**
 * Updates a channel. `config` is merged over the stored one and re-validated; a webhook
 * `secret` or email `password` left out keeps the stored one; `rotateSecret` (webhook)
 * generates a new secret, returned once.
 * @throws AppError 404, 400 `invalid_request`, 409 `notification_channel_name_taken`.
 */
export async function updateChannel(id: string, patch: ChannelPatchInput, now: number, db: Db = getDb()): Promise<{ channel: NotificationChannelRow; shownSecret: string | null }> {
  const current = await getChannel(id, db);
  const next: NotificationChannelRow = { ...current, updatedAt: now };
  let shownSecret: string | null = null;
  if (patch.config) {
    const { config, secret } = parseConfig(current.kind, { ...current.config, ...patch.config });
    next.config = config;
    if (secret !== undefined && secret !== null) {
      next.secret = secret;
      if (current.kind === "webhook") shownSecret = secret;
    }
  }
  if (patch.rotateSecret) {
    if (current.kind !== "webhook") throw invalidRequest({ rotateSecret: "only webhook channels have a signing secret" });
    next.secret = generateSecret();
    shownSecret = next.secret;
  }
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.events !== undefined) next.events = patch.events;
  if (patch.isDefault !== undefined) next.isDefault = patch.isDefault;
  await withNameGuard(patch.name, () => updateChannelRow(db, id, next));
  return { channel: next, shownSecret };
}

/**
 * Deletes a channel with its delivery history. Schedules naming it simply stop sending to it.
 * @throws AppError 404.
 */
export async function deleteChannel(id: string, db: Db = getDb()): Promise<void> {
  if (!(await deleteChannelRow(db, id))) throw channelNotFound(id);
}

/**
 * "Send test": enqueues a `test` notification to this channel only (a delivery like any
 * other: retried, recorded, shown in its deliveries). The caller pokes the scheduler.
 * @param now UTC ms.
 * @throws AppError 404.
 */
export async function sendTestNotification(id: string, now: number, db: Db = getDb()): Promise<{ deliveryId: string; eventId: string }> {
  const channel = await getChannel(id, db);
  const res = await withTransaction(db, (tx) =>
    enqueueNotification(tx, {
      type: TEST_NOTIFICATION_TYPE,
      causeKey: `test:${randomUUID()}`,
      scheduleId: null,
      detail: { message: `Test notification for channel "${channel.name}" from Agentcron.` },
      occurredAt: now,
      channelIds: [channel.id],
    }),
  );
  if (!res || !res.deliveryIds.length) throw channelNotFound(id);
  return { deliveryId: res.deliveryIds[0], eventId: res.eventId };
}

/**
 * Channel ids a schedule names must exist.
 * @throws AppError 400 `invalid_request` with `fields.notificationChannelIds`.
 */
export async function assertChannelsExist(db: Db, ids: readonly string[] | null | undefined): Promise<void> {
  if (!ids?.length) return;
  const found = new Set((await selectChannelsByIds(db, [...new Set(ids)])).map((c) => c.id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length) throw invalidRequest({ notificationChannelIds: `unknown channel ${missing[0]}` });
}

/** The latest deliveries of a channel with their attempts, newest first. @throws AppError 404. */
export async function listDeliveries(id: string, limit: number, db: Db = getDb()): Promise<NotificationDeliveryDto[]> {
  await getChannel(id, db);
  const rows = await selectChannelDeliveries(db, id, Math.min(Math.max(1, limit), DELIVERIES_LIMIT_MAX));
  const attempts = await selectAttempts(db, rows.map((r) => r.id));
  return rows.map((r) => ({
    id: r.id,
    event: r.type,
    eventId: r.eventId,
    status: r.status,
    attempts: r.attempts,
    responseStatus: r.responseStatus,
    lastError: r.lastError,
    nextAttemptAt: r.status === "pending" ? toIso(r.nextAttemptAt) : null,
    createdAt: toIso(r.createdAt)!,
    deliveredAt: toIso(r.deliveredAt),
    attemptLog: attempts
      .filter((a) => a.deliveryId === r.id)
      .map((a) => ({ attempt: a.attempt, ok: a.ok, responseStatus: a.responseStatus, error: a.error, at: toIso(a.startedAt)!, durationMs: a.durationMs })),
  }));
}

/** A Slack incoming-webhook URL is a credential: only its origin is shown. */
function maskUrl(url: unknown): string {
  try {
    return `${new URL(String(url)).origin}/…`;
  } catch {
    return "…";
  }
}

/** API shape: no secret, ever — `hasSecret` instead; `secret` only when given (shown once). */
export function serializeChannel(c: NotificationChannelRow, shownSecret?: string | null): NotificationChannelDto {
  const config = c.kind === "slack" ? { ...c.config, url: maskUrl(c.config.url) } : { ...c.config };
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    config,
    events: c.events ?? null,
    isDefault: c.isDefault,
    hasSecret: c.secret != null && c.secret !== "",
    createdAt: toIso(c.createdAt)!,
    updatedAt: toIso(c.updatedAt)!,
    ...(shownSecret ? { secret: shownSecret } : {}),
  };
}
