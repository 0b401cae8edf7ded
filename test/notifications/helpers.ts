/** Shared set-up for the notification tests: a clean slate of channels/events/deliveries. */
import { getDb, withTransaction, type Db } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";

/** Deletes every notification row (channels, events, deliveries, attempts). */
export async function clearNotifications(db: Db = getDb()): Promise<void> {
  await withTransaction(db, async (tx) => {
    const t = tablesOf(tx);
    for (const table of [t.notificationAttempts, t.notificationDeliveries, t.notificationEvents, t.notificationChannels]) await run(tx, tx.delete(table));
  });
}

export async function deliveryRows(db: Db = getDb()) {
  const t = tablesOf(db);
  return run(db, db.select().from(t.notificationDeliveries));
}
export async function eventRows(db: Db = getDb()) {
  const t = tablesOf(db);
  return run(db, db.select().from(t.notificationEvents));
}
export async function attemptRows(db: Db = getDb()) {
  const t = tablesOf(db);
  return run(db, db.select().from(t.notificationAttempts).orderBy(t.notificationAttempts.id));
}
