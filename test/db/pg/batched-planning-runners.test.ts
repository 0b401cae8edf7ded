/**
 * Batched planning with concurrent runners on PostgreSQL (issue 14 item 7, ADR 0027): four
 * runners on separate pools plan the same due list at the same instant. Each runner tries the
 * whole batch's planning locks in one statement, so they split the list — a schedule is
 * planned by exactly one runner, reported busy by the others — and the counts are exact: one
 * root task per occurrence, firingCount 1 per schedule, nextFireAt advanced once.
 */
import { describe, expect, it } from "vitest";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { PLAN_BATCH } from "@/lib/scheduler/tuning";
import { makeSchedule, T0 } from "../../factories";
import { pgRunnerHandles } from "../../support/pg-runners";
import { rowsOf } from "../../support/rows";

const RUNNERS = 4;
const MIN = 60_000;
const SCHEDULES = PLAN_BATCH + 30; // two batches per pass

describe("batched planning, 4 runners on PostgreSQL (ADR 0027)", () => {
  const runners = pgRunnerHandles(RUNNERS, "agentcron-batched-planning-test");

  it(`${RUNNERS} runners planning ${SCHEDULES} due schedules at once: each planned by exactly one runner, counts exact`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < SCHEDULES; i++) ids.push((await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: "allow_all" }, runners[0])).id);
    for (const minute of [1, 2, 3]) {
      const now = T0 + minute * MIN;
      const passes = await Promise.all(runners.map((db) => planDueOccurrences(db, now, [1000])));
      for (const p of passes) expect(p.failed).toEqual([]);
      const planned = passes.flatMap((p) => p.plans.map((plan) => plan.scheduleId));
      // Every due schedule planned once in all; a second round at the same instant finds nothing due.
      const rest = await Promise.all(runners.map((db) => planDueOccurrences(db, now, [1000])));
      const all = [...planned, ...rest.flatMap((p) => p.plans.map((plan) => plan.scheduleId))];
      expect(all.sort()).toEqual([...ids].sort());
      expect(passes.flatMap((p) => p.plans).every((plan) => plan.queued === 1 && plan.skipped === 0 && plan.missed === 0)).toBe(true);
      // A schedule one runner planned is never also planned by another: busy is disjoint from its own plans.
      for (const p of passes) {
        const mine = new Set(p.plans.map((plan) => plan.scheduleId));
        expect(p.busy.filter((id) => mine.has(id))).toEqual([]);
      }
    }
    const roots = (await rowsOf("tasks", runners[0])).filter((t) => t.parentTaskId == null);
    expect(roots).toHaveLength(3 * SCHEDULES);
    expect(new Set(roots.map((t) => `${t.scheduleId}@${t.plannedAt}`)).size).toBe(3 * SCHEDULES);
    for (const s of await rowsOf("schedules", runners[0])) {
      expect([s.firingCount, s.lastFiredAt, s.lastPlannedAt, s.nextFireAt]).toEqual([3, T0 + 3 * MIN, T0 + 3 * MIN, T0 + 4 * MIN]);
    }
  });
});
