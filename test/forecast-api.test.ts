import { beforeEach, describe, expect, it } from "vitest";
import { GET, POST } from "@/app/api/forecast/route";
import { getDb } from "@/lib/db/client";
import { insertFiringMetric } from "@/lib/db/queries/firing-metrics";
import { removeConcurrencyGroupCap, setConcurrencyGroupCap } from "@/lib/concurrency-groups/service";
import { updateSettings } from "@/lib/config/settings";
import { getForecast } from "@/lib/forecast/service";
import { callRoute } from "./http";
import { makeSchedule, T0, truncateAll } from "./factories";

/** Fixed clock: Wednesday 2026-01-07 00:00 UTC, two days after the factories' T0. */
const NOW = Date.UTC(2026, 0, 7, 0, 0, 0);
const MIN = 60_000;

async function fired(scheduleId: string, firedAt: number, durationMs: number) {
  await insertFiringMetric(getDb(), {
    scheduleId,
    taskId: `task-${scheduleId}-${firedAt}`,
    firedAt,
    plannedAt: firedAt,
    slotClaimedAt: firedAt,
    completedAt: firedAt + durationMs,
    latenessMs: 0,
    slotWaitMs: 0,
    durationMs,
    turnCount: 1,
    maxTurnsAtFiring: 10,
    eventLoopLagMs: 0,
    peakRssMb: 100,
    chatStreamsActive: 0,
    concurrentSchedules: 1,
    failureReason: null,
  });
}

describe("GET /api/forecast (issue #12 item 8)", () => {
  beforeEach(async () => {
    await truncateAll();
  });

  it("takes each schedule's expected duration from its last 20 firings (one batched query), else the default, within the lease", async () => {
    const a = await makeSchedule({ name: "A history", cronExpression: "0 2 * * *", createdAt: T0 });
    const b = await makeSchedule({ name: "B default", cronExpression: "0 2 * * *", createdAt: T0 + 1 });
    const c = await makeSchedule({ name: "C short lease", cronExpression: "0 2 * * *", maxRunDurationSec: 120, createdAt: T0 + 2 });
    const old = await makeSchedule({ name: "D stale history", cronExpression: "0 4 * * *", createdAt: T0 + 3 });
    await makeSchedule({ name: "paused", cronExpression: "0 2 * * *", status: "paused" });
    // A: 5 old firings of 60 min, then its last 20 of 10 min — only the last 20 count.
    for (let i = 0; i < 5; i++) await fired(a.id, NOW - 40 * 86_400_000 + i * 1000 + 25 * 86_400_000, 60 * MIN);
    for (let i = 0; i < 20; i++) await fired(a.id, NOW - 86_400_000 + i * MIN, 10 * MIN);
    // D: history older than 30 days is ignored.
    await fired(old.id, NOW - 31 * 86_400_000, 50 * MIN);

    const f = await getForecast(getDb(), NOW, 24);
    expect(f.cap).toBe(2);
    expect(f.from).toBe("2026-01-07T00:00:00.000Z");
    expect(f.minutes).toHaveLength(1440);
    expect(f.schedules).toEqual([
      { id: a.id, name: "A history", expectedDurationMs: 10 * MIN, durationSource: "history", firings: 1 },
      { id: b.id, name: "B default", expectedDurationMs: 5 * MIN, durationSource: "default", firings: 1 },
      { id: c.id, name: "C short lease", expectedDurationMs: 2 * MIN, durationSource: "default", firings: 1 },
      { id: old.id, name: "D stale history", expectedDurationMs: 5 * MIN, durationSource: "default", firings: 1 },
    ]);
    const at = (h: number, m: number) => f.minutes[h * 60 + m].expectedRunning;
    expect([at(2, 0), at(2, 1), at(2, 2), at(2, 4), at(2, 5), at(2, 9), at(2, 10)]).toEqual([3, 3, 2, 2, 1, 1, 0]);
    expect(f.overloads).toHaveLength(1);
    expect(f.overloads[0]).toMatchObject({
      from: "2026-01-07T02:00:00.000Z",
      to: "2026-01-07T02:02:00.000Z",
      expectedRunning: 3,
      scheduleIds: [a.id, b.id, c.id],
      expectedDelaySec: 60,
    });
    // Moving the long one (A) 2 minutes later, past C's 2-minute run, is the smallest stagger that removes it
    // (C moved by 2 would land on A and B at 02:02).
    expect(f.overloads[0].stagger).toEqual([{ scheduleId: a.id, scheduleName: "A history", shiftMinutes: 2, cronExpression: "2 2 * * *" }]);
    expect(f.overloads[0].suggestion).toBe("Stagger “A history” by +2 min (cron “2 2 * * *”) to remove this overload.");
    expect(T0).toBeLessThan(NOW); // the factories' nextFireAt lies before the window: no occurrence skipped
  });

  it("checks each capped concurrency group as its own pool (issue 12 item 4): an overload within the group under the global cap", async () => {
    await setConcurrencyGroupCap(getDb(), "repo-foo", 1, NOW);
    await setConcurrencyGroupCap(getDb(), "unused", 1, NOW); // no schedule names it: no pool
    const a = await makeSchedule({ name: "A", cronExpression: "0 3 * * *", concurrencyGroup: "repo-foo", createdAt: T0 });
    const b = await makeSchedule({ name: "B", cronExpression: "0 3 * * *", concurrencyGroup: "repo-foo", createdAt: T0 + 1 });
    await makeSchedule({ name: "C", cronExpression: "0 5 * * *", concurrencyGroup: "repo-bar", createdAt: T0 + 2 }); // group without a cap
    await updateSettings({ maxConcurrent: 5 }, NOW, getDb());
    const f = await getForecast(getDb(), NOW, 24);
    // Two runs at 03:00 fit the global cap of 5, but not repo-foo's cap of 1.
    expect(f.overloads.map((o) => o.pool)).toEqual(["repo-foo"]);
    expect(f.overloads[0]).toMatchObject({ from: "2026-01-07T03:00:00.000Z", expectedRunning: 2, scheduleIds: [a.id, b.id] });
    expect(f.overloads[0].stagger.length).toBeGreaterThan(0);
    await removeConcurrencyGroupCap(getDb(), "repo-foo");
    expect((await getForecast(getDb(), NOW, 24)).overloads).toEqual([]);
  });

  it("answers the route with the default 24 h and validates hours", async () => {
    await makeSchedule({ cronExpression: "*/5 * * * *" });
    const ok = await callRoute(GET, "/api/forecast");
    expect(ok.status).toBe(200);
    expect(ok.data.hours).toBe(24);
    expect(ok.data.minutes).toHaveLength(1440);
    expect(ok.data.minutes[0]).toEqual({ at: expect.stringMatching(/:00\.000Z$/), expectedRunning: expect.any(Number) });
    const week = await callRoute(GET, "/api/forecast?hours=168");
    expect(week.data.minutes).toHaveLength(168 * 60);
    for (const bad of ["0", "169", "1.5", "abc", "-3"]) {
      const res = await callRoute(GET, `/api/forecast?hours=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.data).toMatchObject({ error: "invalid_request", fields: { hours: expect.any(String) } });
    }
    const post = await callRoute(POST, "/api/forecast", { method: "POST", json: {} });
    expect(post.status).toBe(405);
  });
});

describe("forecast reads the calendar columns (issue 12 gap)", () => {
  beforeEach(async () => truncateAll());
  it("a schedule paused until 06:30 counts from then; excluded dates and a skip window are read from the row; a plain paused one is left out", async () => {
    const until = NOW + 6.5 * 60 * MIN;
    const p = await makeSchedule({ name: "resumes", cronExpression: "0 * * * *", status: "paused", pausedReason: "paused_by_user", pausedUntil: until, nextFireAt: null });
    await makeSchedule({ name: "paused", cronExpression: "0 * * * *", status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    const x = await makeSchedule({ name: "holiday", cronExpression: "0 2 * * *", excludeDates: ["2026-01-07"], nextFireAt: NOW + 2 * 60 * MIN });
    const w = await makeSchedule({ name: "office", cronExpression: "0 * * * *", activeWindow: { days: [3], start: "09:00", end: "12:00", policy: "skip" }, nextFireAt: NOW + 60 * MIN });
    const f = await getForecast(getDb(), NOW, 24);
    const firings = Object.fromEntries(f.schedules.map((s) => [s.name, s.firings]));
    expect(firings).toEqual({ resumes: 17, holiday: 0, office: 3 });
    expect(f.schedules.map((s) => s.id).sort()).toEqual([p.id, x.id, w.id].sort());
  });
});
