import "server-only";
import { sql } from "drizzle-orm";
import { Gauge, Registry, type Metric } from "prom-client";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import { TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { processEventLoopLagMs } from "../scheduler/firing-metrics";
import { prepared } from "../scheduler/statements";

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

  const byStatus = new Map(
    (prepared(db, "SELECT status, count(*) AS n FROM tasks GROUP BY status").all() as { status: string; n: number }[]).map((r) => [r.status, r.n]),
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

  registry.registerMetric(
    histogramFromColumn(db, "lateness_ms", "agentcron_firing_lateness_seconds", "Start time minus due time (planned occurrence, or a retry's notBefore) of finished scheduled firings"),
  );
  registry.registerMetric(histogramFromColumn(db, "slot_wait_ms", "agentcron_slot_wait_seconds", "Time finished firings waited for a slot"));

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

/**
 * A Prometheus histogram (seconds) of a millisecond column of schedule_firing_metrics,
 * counted by SQLite in one aggregate query: a scrape never loads the rows themselves.
 * Negative values count as 0.
 */
function histogramFromColumn(db: Db, column: "lateness_ms" | "slot_wait_ms", name: string, help: string): Metric {
  const v = `max(${column}, 0)`;
  const bucketSums = SECONDS_BUCKETS.map((b, i) => `coalesce(sum(${v} <= ${b * 1000}), 0) AS b${i}`).join(", ");
  const sql = `SELECT count(*) AS n, coalesce(sum(${v}), 0) AS s, ${bucketSums} FROM schedule_firing_metrics`;
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get: async () => {
      const row = prepared(db, sql).get() as Record<string, number>;
      return {
        name,
        help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...SECONDS_BUCKETS.map((b, i) => ({ metricName: `${name}_bucket`, labels: { le: b }, value: row[`b${i}`] })),
          { metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: row.n },
          { metricName: `${name}_sum`, labels: {}, value: row.s / 1000 },
          { metricName: `${name}_count`, labels: {}, value: row.n },
        ],
      };
    },
  };
  return metric as unknown as Metric;
}
