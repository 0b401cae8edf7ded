import "server-only";
import { sql } from "drizzle-orm";
import { Gauge, Histogram, Registry } from "prom-client";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import { TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { processEventLoopLagMs } from "../scheduler/firing-metrics";

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/**
 * Renders GET /api/metrics in the Prometheus text format (API.md "Metrics").
 * Everything is derived from the database at scrape time, so every runner sharing the
 * file reports the same numbers; the lateness and slot-wait histograms cover the firing
 * metrics still retained (30 days), so they can shrink when old rows are pruned.
 * @returns [body, content type]
 */
export async function renderPrometheusMetrics(db: Db): Promise<[string, string]> {
  const registry = new Registry();
  const client = db.$client;

  const byStatus = new Map(
    (client.prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status").all() as { status: string; n: number }[]).map((r) => [r.status, r.n]),
  );
  const tasks = new Gauge({ name: "agentcron_tasks", help: "Tasks by status", labelNames: ["status"], registers: [registry] });
  for (const status of TASK_STATUSES) tasks.set({ status }, byStatus.get(status) ?? 0);

  new Gauge({ name: "agentcron_slots_in_use", help: "Running tasks holding a slot", registers: [registry] }).set(byStatus.get("running") ?? 0);
  new Gauge({ name: "agentcron_slots_capacity", help: "Concurrent scheduled task cap (maxConcurrent)", registers: [registry] }).set(
    getSettings(db).maxConcurrent,
  );
  new Gauge({ name: "agentcron_queue_depth", help: "Queued tasks waiting for a slot", registers: [registry] }).set(byStatus.get("queued") ?? 0);
  new Gauge({ name: "agentcron_chat_streams_active", help: "Chat streams in flight in this process", registers: [registry] }).set(
    activeStreamCount(),
  );
  new Gauge({ name: "agentcron_event_loop_lag_p99_seconds", help: "Main-thread event-loop delay p99 over the last minute", registers: [registry] }).set(
    processEventLoopLagMs() / 1000,
  );

  const lateness = new Histogram({
    name: "agentcron_firing_lateness_seconds",
    help: "Start time minus planned occurrence time of finished scheduled firings",
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const slotWait = new Histogram({
    name: "agentcron_slot_wait_seconds",
    help: "Time finished firings waited for a slot",
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const rows = client.prepare("SELECT lateness_ms AS l, slot_wait_ms AS w FROM schedule_firing_metrics").raw().all() as [number, number][];
  for (const [l, w] of rows) {
    lateness.observe(Math.max(0, l) / 1000);
    slotWait.observe(Math.max(0, w) / 1000);
  }

  const skipped = new Gauge({
    name: "agentcron_skipped_occurrences",
    help: "Occurrences recorded as skipped tasks, by schedule",
    labelNames: ["schedule_id"],
    registers: [registry],
  });
  for (const r of db.all<{ id: string; n: number }>(
    sql`SELECT schedule_id AS id, count(*) AS n FROM tasks WHERE status = 'skipped' AND schedule_id IS NOT NULL GROUP BY schedule_id`,
  )) {
    skipped.set({ schedule_id: r.id }, r.n);
  }
  const missed = new Gauge({
    name: "agentcron_missed_occurrences",
    help: "Occurrences counted as missed by the catch-up policy, by schedule",
    labelNames: ["schedule_id"],
    registers: [registry],
  });
  for (const r of db.all<{ id: string; n: number }>(
    sql`SELECT schedule_id AS id, coalesce(sum(json_extract(data, '$.count')), 0) AS n FROM events
        WHERE kind = 'missed_occurrences' AND schedule_id IS NOT NULL GROUP BY schedule_id`,
  )) {
    missed.set({ schedule_id: r.id }, r.n);
  }

  return [await registry.metrics(), registry.contentType];
}
