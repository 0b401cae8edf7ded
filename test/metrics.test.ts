import { beforeEach, describe, expect, it } from "vitest";
import { GET } from "@/app/api/metrics/route";
import { registerStream, unregisterStream } from "@/lib/chat/active-streams";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { callRoute } from "./http";
import { T0, makeSchedule, makeTask, truncateAll } from "./factories";

function metricValue(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  if (!line) throw new Error(`metric ${name} not found in:\n${text}`);
  return Number(line.split(" ").at(-1));
}

describe("GET /api/metrics", () => {
  beforeEach(async () => truncateAll());

  it("exposes task counts, slots, queue, histograms and skipped/missed occurrences", async () => {
    const s = await makeSchedule();
    await makeTask({ scheduleId: s.id, status: "running", sourceType: "scheduled", plannedAt: T0 });
    await makeTask({ scheduleId: s.id, status: "queued", sourceType: "scheduled", plannedAt: T0 + 1 });
    await makeTask({ scheduleId: s.id, status: "queued", sourceType: "manual" });
    await makeTask({ scheduleId: s.id, status: "skipped", sourceType: "scheduled", plannedAt: T0 + 2, skippedReason: "overlap" });
    const db = getDb();
    const { events, scheduleFiringMetrics } = tablesOf(db);
    await run(db, db.insert(events).values({ kind: "missed_occurrences", scheduleId: s.id, message: "11 missed", data: { count: 11 }, createdAt: T0 }));
    for (const [lateness, wait] of [[40, 0], [300, 2_000], [20_000, 20_000]]) {
      await run(
        db,
        db.insert(scheduleFiringMetrics).values({
          scheduleId: s.id, taskId: "t", firedAt: T0, plannedAt: T0, slotClaimedAt: T0, completedAt: T0 + 1000,
          latenessMs: lateness, slotWaitMs: wait, durationMs: 1000, turnCount: 3, maxTurnsAtFiring: 10,
          eventLoopLagMs: 1, peakRssMb: 100, chatStreamsActive: 0, concurrentSchedules: 1, failureReason: null,
        }),
      );
    }
    registerStream("chat-1");
    try {
      const res = await callRoute(GET, "/api/metrics");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = res.text;
      expect(text).toContain('agentcron_tasks{status="running"} 1');
      expect(text).toContain('agentcron_tasks{status="queued"} 2');
      expect(text).toContain('agentcron_tasks{status="completed"} 0');
      expect(metricValue(text, "agentcron_slots_in_use")).toBe(1);
      expect(metricValue(text, "agentcron_slots_capacity")).toBe(2);
      expect(metricValue(text, "agentcron_queue_depth")).toBe(2);
      expect(metricValue(text, "agentcron_chat_streams_active")).toBe(1);
      expect(text).toContain('agentcron_firing_lateness_seconds_bucket{le="0.05"} 1');
      expect(text).toContain('agentcron_firing_lateness_seconds_bucket{le="0.5"} 2');
      expect(text).toContain("agentcron_firing_lateness_seconds_count 3");
      expect(text).toContain('agentcron_slot_wait_seconds_bucket{le="2.5"} 2');
      expect(text).toContain(`agentcron_skipped_occurrences{schedule_id="${s.id}"} 1`);
      expect(text).toContain(`agentcron_missed_occurrences{schedule_id="${s.id}"} 11`);
      expect(text).toContain("agentcron_event_loop_lag_p99_seconds");
    } finally {
      unregisterStream("chat-1");
    }
  });
});
