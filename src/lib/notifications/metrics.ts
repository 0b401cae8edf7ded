import "server-only";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Db } from "../db/client";
import { DELIVERY_STATUSES } from "../db/constants";
import { countAttemptsByOutcome, countDeliveriesByStatus } from "../db/queries/notifications";

/**
 * Notification metrics for GET /api/metrics (issue 11 item 6), read from the outbox at scrape
 * time so every runner reports the same numbers:
 * - `agentcron_notification_deliveries{status}` — outbox rows by status (pending, sending,
 *   delivered, failed): alert on `failed` growing or `pending` staying high;
 * - `agentcron_notification_attempts_total{outcome="ok"|"error"}` — send attempts recorded.
 */
export async function registerNotificationMetrics(db: Db, registry: Registry): Promise<void> {
  const byStatus = new Map((await countDeliveriesByStatus(db)).map((r) => [r.status, r.n]));
  const deliveries = new Gauge({ name: "agentcron_notification_deliveries", help: "Notification deliveries (outbox rows) by status", labelNames: ["status"], registers: [registry] });
  for (const status of DELIVERY_STATUSES) deliveries.set({ status }, byStatus.get(status) ?? 0);
  const attempts = new Counter({ name: "agentcron_notification_attempts_total", help: "Notification send attempts by outcome", labelNames: ["outcome"], registers: [registry] });
  const byOutcome = new Map((await countAttemptsByOutcome(db)).map((r) => [r.ok, r.n]));
  attempts.inc({ outcome: "ok" }, byOutcome.get(true) ?? 0);
  attempts.inc({ outcome: "error" }, byOutcome.get(false) ?? 0);
}
