import "server-only";
import { and, asc, desc, eq, inArray, lte, or, sql } from "drizzle-orm";
import { withTransaction, type Db } from "../client";
import type { NotificationEvent } from "../constants";
import type { NotificationAttemptRow, NotificationChannelRow, NotificationDeliveryRow, NotificationEventRow, ScheduleRow } from "../schema";
import { affected, first, preparedAll, rows, run, tablesOf } from "../sql";

/**
 * Notification channels, events, the delivery outbox and its attempts (issue 11 items 1–2,
 * ADR 0021). Every timestamp is UTC ms.
 */

// --- channels ---

/** Every channel, by name. */
export async function selectChannels(db: Db): Promise<NotificationChannelRow[]> {
  const { notificationChannels: c } = tablesOf(db);
  return run(db, db.select().from(c).orderBy(asc(c.name)));
}

/** One channel, or undefined. */
export async function selectChannel(db: Db, id: string): Promise<NotificationChannelRow | undefined> {
  const { notificationChannels: c } = tablesOf(db);
  return first(db, db.select().from(c).where(eq(c.id, id)).limit(1));
}

/** The channels among `ids` (unknown ids are missing). */
export async function selectChannelsByIds(db: Db, ids: readonly string[]): Promise<NotificationChannelRow[]> {
  if (!ids.length) return [];
  const { notificationChannels: c } = tablesOf(db);
  return run(db, db.select().from(c).where(inArray(c.id, [...ids])));
}

/** The default channels (used by schedules that name none). */
export async function selectDefaultChannels(db: Db): Promise<NotificationChannelRow[]> {
  const { notificationChannels: c } = tablesOf(db);
  return run(db, db.select().from(c).where(eq(c.isDefault, true)));
}

export async function insertChannel(db: Db, row: NotificationChannelRow): Promise<void> {
  const { notificationChannels: c } = tablesOf(db);
  await run(db, db.insert(c).values(row));
}

export async function updateChannelRow(db: Db, id: string, patch: Partial<NotificationChannelRow>): Promise<void> {
  const { notificationChannels: c } = tablesOf(db);
  await run(db, db.update(c).set(patch).where(eq(c.id, id)));
}

/** Deletes a channel (its deliveries and attempts go with it). Returns whether it existed. */
export async function deleteChannelRow(db: Db, id: string): Promise<boolean> {
  const { notificationChannels: c } = tablesOf(db);
  return (await affected(db, db.delete(c).where(eq(c.id, id)))) > 0;
}

// --- events and the outbox ---

/** The notification settings of a schedule (the columns enqueue needs), or undefined. */
export async function selectScheduleNotifySettings(
  db: Db,
  scheduleId: string,
): Promise<Pick<ScheduleRow, "id" | "name" | "notificationChannelIds" | "notifyOn" | "quietResultMarker"> | undefined> {
  const { schedules: s } = tablesOf(db);
  return first(
    db,
    db
      .select({ id: s.id, name: s.name, notificationChannelIds: s.notificationChannelIds, notifyOn: s.notifyOn, quietResultMarker: s.quietResultMarker })
      .from(s)
      .where(eq(s.id, scheduleId))
      .limit(1),
  );
}

/**
 * Inserts a notification event unless one with the same `causeKey` exists (the unique index
 * makes this race-free across runners). Returns true when this call inserted it.
 */
export async function insertEventIfNewCause(db: Db, row: NotificationEventRow): Promise<boolean> {
  const { notificationEvents: e } = tablesOf(db);
  const inserted = await run(db, db.insert(e).values(row).onConflictDoNothing({ target: e.causeKey }).returning({ id: e.id }));
  return inserted.length > 0;
}

/** The type of the schedule's latest `task_failed`/`task_recovered` event, or undefined: whether a failure alert is open. */
export async function selectLatestFailureAlert(db: Db, scheduleId: string): Promise<NotificationEvent | undefined> {
  const { notificationEvents: e } = tablesOf(db);
  const row = await first(
    db,
    db
      .select({ type: e.type })
      .from(e)
      .where(and(eq(e.scheduleId, scheduleId), inArray(e.type, ["task_failed", "task_recovered"])))
      .orderBy(desc(e.occurredAt), desc(e.type))
      .limit(1),
  );
  return row?.type as NotificationEvent | undefined;
}

export async function insertDeliveries(db: Db, rows: NotificationDeliveryRow[]): Promise<void> {
  if (!rows.length) return;
  const { notificationDeliveries: d } = tablesOf(db);
  await run(db, db.insert(d).values(rows).onConflictDoNothing());
}

/** A claimed delivery with what the sender needs to send it. */
export interface ClaimedDelivery {
  delivery: NotificationDeliveryRow;
  event: NotificationEventRow;
  channel: NotificationChannelRow;
}

/**
 * Claims up to `limit` due deliveries for `owner` until `leaseExpiresAt`: pending rows whose
 * `nextAttemptAt <= now`, and `sending` rows whose lease passed (a sender died mid-send).
 * Sets status `sending`, the lease, and counts the attempt, in one statement: PostgreSQL
 * picks the rows in a materialized CTE `FOR UPDATE SKIP LOCKED` so two runners never claim
 * the same row; SQLite runs UPDATE … WHERE id IN (SELECT … LIMIT n) under its single writer.
 */
export async function claimDueDeliveries(db: Db, owner: string, now: number, leaseExpiresAt: number, limit: number): Promise<ClaimedDelivery[]> {
  const { notificationDeliveries: d, notificationEvents: e, notificationChannels: c } = tablesOf(db);
  let claimed: NotificationDeliveryRow[];
  if (db.$dialect === "pg") {
    // A materialized CTE: an `IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)` can be re-evaluated
    // by the planner under concurrency and claim more than n rows.
    const ids = await rows<{ id: string }>(
      db,
      sql`WITH picked AS MATERIALIZED (
            SELECT id FROM notification_deliveries
            WHERE (status = 'pending' AND next_attempt_at <= ${now}) OR (status = 'sending' AND lease_expires_at <= ${now})
            ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          UPDATE notification_deliveries AS nd
          SET status = 'sending', lease_owner = ${owner}, lease_expires_at = ${leaseExpiresAt}, attempts = nd.attempts + 1
          FROM picked WHERE nd.id = picked.id
          RETURNING nd.id AS "id"`,
    );
    claimed = ids.length ? await run(db, db.select().from(d).where(inArray(d.id, ids.map((r) => r.id)))) : [];
  } else {
    const due = or(and(eq(d.status, "pending"), lte(d.nextAttemptAt, now)), and(eq(d.status, "sending"), lte(d.leaseExpiresAt, now)));
    const pick = db.select({ id: d.id }).from(d).where(due).orderBy(asc(d.nextAttemptAt)).limit(limit);
    claimed = await run(
      db,
      db
        .update(d)
        .set({ status: "sending", leaseOwner: owner, leaseExpiresAt, attempts: sql`${d.attempts} + 1` })
        .where(and(inArray(d.id, pick), due))
        .returning(),
    );
  }
  if (!claimed.length) return [];
  const ids = claimed.map((r) => r.id);
  const joined = await run(
    db,
    db
      .select({ id: d.id, event: e, channel: c })
      .from(d)
      .innerJoin(e, eq(e.id, d.eventId))
      .innerJoin(c, eq(c.id, d.channelId))
      .where(inArray(d.id, ids)),
  );
  const byId = new Map(joined.map((j) => [j.id, j]));
  return claimed.flatMap((delivery) => {
    const j = byId.get(delivery.id);
    return j ? [{ delivery, event: j.event, channel: j.channel }] : [];
  });
}

/** What one send attempt ended with. */
export interface AttemptOutcome {
  deliveryId: string;
  owner: string;
  attempt: number;
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
  startedAt: number;
  durationMs: number;
  /** delivered / pending (retry at `nextAttemptAt`) / failed (gave up). */
  status: "delivered" | "pending" | "failed";
  nextAttemptAt: number | null;
  now: number;
}

/**
 * Records an attempt and moves the delivery on, guarded by the lease: when another sender
 * took the row over (our lease expired), nothing is written and false is returned. The status
 * and the attempt row commit together.
 */
export async function recordAttempt(root: Db, o: AttemptOutcome): Promise<boolean> {
  // One transaction: a crash between the status and its attempt row would leave a delivery
  // `delivered` with no attempt on record (the kill -9 test caught it on PostgreSQL).
  return withTransaction(root, async (db) => {
    const { notificationDeliveries: d, notificationAttempts: a } = tablesOf(db);
    const n = await affected(
      db,
      db
        .update(d)
        .set({
          status: o.status,
          leaseOwner: null,
          leaseExpiresAt: null,
          responseStatus: o.responseStatus,
          lastError: o.error,
          ...(o.nextAttemptAt != null ? { nextAttemptAt: o.nextAttemptAt } : {}),
          ...(o.status === "delivered" ? { deliveredAt: o.now } : {}),
        })
        .where(and(eq(d.id, o.deliveryId), eq(d.status, "sending"), eq(d.leaseOwner, o.owner))),
    );
    if (!n) return false;
    await run(
      db,
      db.insert(a).values({ deliveryId: o.deliveryId, attempt: o.attempt, ok: o.ok, responseStatus: o.responseStatus, error: o.error, startedAt: o.startedAt, durationMs: o.durationMs }),
    );
    return true;
  });
}

/**
 * The earliest instant (UTC ms) a delivery becomes due: a pending row's nextAttemptAt or a
 * sending row's lease expiry; null when none. Read on every scheduler pass: prepared once.
 */
export async function selectNextDeliveryDueAt(db: Db): Promise<number | null> {
  const [row] = await preparedAll<{ at: number | null }>(db, "notifications-next-due", (d) => {
    const { notificationDeliveries: t } = tablesOf(d);
    return d
      .select({ at: sql<number | null>`min(case when ${t.status} = 'pending' then ${t.nextAttemptAt} else ${t.leaseExpiresAt} end)` })
      .from(t)
      .where(inArray(t.status, ["pending", "sending"]));
  });
  return row?.at == null ? null : Number(row.at);
}

/** A channel's latest deliveries, newest first, with the event type. */
export async function selectChannelDeliveries(db: Db, channelId: string, limit: number): Promise<(NotificationDeliveryRow & { type: string })[]> {
  const { notificationDeliveries: d, notificationEvents: e } = tablesOf(db);
  const rows = await run(
    db,
    db
      .select({ delivery: d, type: e.type })
      .from(d)
      .innerJoin(e, eq(e.id, d.eventId))
      .where(eq(d.channelId, channelId))
      .orderBy(desc(d.createdAt), desc(d.id))
      .limit(limit),
  );
  return rows.map((r) => ({ ...r.delivery, type: r.type }));
}

/** A delivery's attempts, oldest first. */
export async function selectAttempts(db: Db, deliveryIds: readonly string[]): Promise<NotificationAttemptRow[]> {
  if (!deliveryIds.length) return [];
  const { notificationAttempts: a } = tablesOf(db);
  return run(db, db.select().from(a).where(inArray(a.deliveryId, [...deliveryIds])).orderBy(asc(a.id)));
}

/** Deliveries counted by status (Prometheus). */
export async function countDeliveriesByStatus(db: Db): Promise<{ status: string; n: number }[]> {
  const { notificationDeliveries: d } = tablesOf(db);
  const rows = await run(db, db.select({ status: d.status, n: sql<number>`count(*)` }).from(d).groupBy(d.status));
  return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
}

/** Send attempts counted by outcome (Prometheus). */
export async function countAttemptsByOutcome(db: Db): Promise<{ ok: boolean; n: number }[]> {
  const { notificationAttempts: a } = tablesOf(db);
  const rows = await run(db, db.select({ ok: a.ok, n: sql<number>`count(*)` }).from(a).groupBy(a.ok));
  return rows.map((r) => ({ ok: Boolean(r.ok), n: Number(r.n) }));
}
