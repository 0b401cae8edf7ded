import "server-only";
import { Counter, Gauge, Registry, type Metric } from "prom-client";
import { activeStreamCount } from "../chat/active-streams";
import { getSettings } from "../config/settings";
import { TASK_STATUSES } from "../db/constants";
import type { Db } from "../db/client";
import { registerStorageMetrics } from "../retention/storage";
import { processEventLoopLagMs } from "../scheduler/firing-metrics";
import { selectOutcomeCounts } from "../db/queries/spend";
import { registerNotificationMetrics } from "../notifications/metrics";
import { selectFiringHistogram, selectMissedCountsBySchedule, selectSkippedCountsBySchedule, selectTaskStatusCounts } from "../db/queries/metrics";

/**
 * Renders GET /api/metrics in the Prometheus text format (API.md "Metrics").
 * Everything is derived from the database at scrape time, so every runner sharing the
 * file reports the same numbers; the lateness and slot-wait histograms cover the firing
 * metrics still retained (30 days), so they can shrink when old rows are pruned.
 * Task counts and histograms come from the trigger-maintained counter tables
 * (`task_status_counts`, `schedule_task_counts`, `firing_histograms`; schema.ts), so a
 * scrape reads a few hundred rows whatever the size of the history (issue 15).
 * @returns [body, content type]
 */
export async function renderPrometheusMetrics(db: Db): Promise<[string, string]> {
  const registry = new Registry();

  const byStatus = new Map(
    (await selectTaskStatusCounts(db)).map((r) => [r.status, r.n]),
  );
  const tasks = new Gauge({ name: "agentcron_tasks", help: "Tasks by status", labelNames: ["status"], registers: [registry] });
  for (const status of TASK_STATUSES) tasks.set({ status }, byStatus.get(status) ?? 0);

  new Gauge({ name: "agentcron_slots_in_use", help: "Running tasks holding a slot", registers: [registry] }).set(byStatus.get("running") ?? 0);
  new Gauge({ name: "agentcron_slots_capacity", help: "Concurrent scheduled task cap (maxConcurrent)", registers: [registry] }).set(
    (await getSettings(db)).maxConcurrent,
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
  for (const r of await selectSkippedCountsBySchedule(db)) {
    skipped.set({ schedule_id: r.scheduleId }, r.n);
  }
  const missed = new Gauge({
    name: "agentcron_missed_occurrences",
    help: "Occurrences counted as missed by the catch-up policy, by schedule",
    labelNames: ["schedule_id"],
    registers: [registry],
  });
  for (const r of await selectMissedCountsBySchedule(db)) {
    missed.set({ schedule_id: r.scheduleId }, r.n);
  }

  await registerStorageMetrics(registry, db); // DB size and row counts (issue 11 item 4)
  // --- spend (src/lib/budgets): per-schedule counters, from the trigger-maintained
  // schedule_outcome_counts (migration spend_triggers): monotonic, pruning never lowers them.
  const counters = {
    failed: new Counter({ name: "agentcron_task_failures_total", help: "Tasks that ended failed, by schedule and failure class", labelNames: ["schedule_id", "failure_reason"], registers: [registry] }),
    skipped: new Counter({ name: "agentcron_skipped_firings_total", help: "Occurrences skipped, by schedule and reason", labelNames: ["schedule_id", "reason"], registers: [registry] }),
    missed: new Counter({ name: "agentcron_missed_occurrences_total", help: "Occurrences counted as missed by the catch-up policy, by schedule", labelNames: ["schedule_id"], registers: [registry] }),
    budget_breach: new Counter({ name: "agentcron_budget_breaches_total", help: "Cost caps reached (one per breach, not per skipped firing), by schedule and scope (run, 24h, 7d, day)", labelNames: ["schedule_id", "scope"], registers: [registry] }),
  };
  for (const r of await selectOutcomeCounts(db)) {
    if (r.metric === "failed") counters.failed.inc({ schedule_id: r.scheduleId, failure_reason: r.reason || "unknown" }, r.n);
    else if (r.metric === "skipped") counters.skipped.inc({ schedule_id: r.scheduleId, reason: r.reason || "unknown" }, r.n);
    else if (r.metric === "missed") counters.missed.inc({ schedule_id: r.scheduleId }, r.n);
    else if (r.metric === "budget_breach") counters.budget_breach.inc({ schedule_id: r.scheduleId, scope: r.reason || "unknown" }, r.n);
  }
  // --- end spend ---
  await registerNotificationMetrics(db, registry);

  return [await registry.metrics(), registry.contentType];
}

/**
 * A Prometheus histogram (seconds) of a millisecond column of schedule_firing_metrics, read
 * from its maintained cumulative buckets in `firing_histograms` (the +Inf row, `le_ms` =
 * 2^63 − 1, holds the count and the sum): a scrape never reads the firing rows themselves.
 */
function histogramFromColumn(db: Db, column: "lateness_ms" | "slot_wait_ms", name: string, help: string): Metric {
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get: async () => {
      const rows = await selectFiringHistogram(db, column);
      const inf = rows.at(-1) ?? { leMs: 0, n: 0, sumMs: 0 };
      return {
        name,
        help,
        type: "histogram",
        aggregator: "sum",
        values: [
          ...rows.slice(0, -1).map((r) => ({ metricName: `${name}_bucket`, labels: { le: r.leMs / 1000 }, value: r.n })),
          { metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: inf.n },
          { metricName: `${name}_sum`, labels: {}, value: inf.sumMs / 1000 },
          { metricName: `${name}_count`, labels: {}, value: inf.n },
        ],
      };
    },
  };
  return metric as unknown as Metric;
}
