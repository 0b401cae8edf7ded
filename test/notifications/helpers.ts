/** Shared set-up for the notification tests: a clean slate of channels/events/deliveries. */
import { getDb, withTransaction, type Db } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { truncateAll } from "../factories";
import { startReceiver, type Receiver } from "../support/notification-receiver";

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

/**
 * The notification tests' shared lifecycle: one local webhook receiver for the file (closed
 * after it), and before each test an empty database, no notification rows, and the receiver
 * back to answering 200 with no requests recorded. Register it at the top of a file; the
 * returned object's `receiver` is set once the file's beforeAll has run.
 */
export function notificationSlateForFile(): { receiver: Receiver } {
  const slate = {} as { receiver: Receiver };
  beforeAll(async () => {
    slate.receiver = await startReceiver();
  });
  afterAll(() => slate.receiver.close());
  beforeEach(async () => {
    await truncateAll();
    await clearNotifications();
    slate.receiver.requests.length = 0;
    slate.receiver.respond = () => 200;
  });
  return slate;
}
