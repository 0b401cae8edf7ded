/**
 * A chained run obeys the downstream schedule's overlap policy (issue 12 gap; decideOverlap is
 * the one rule, applied by triggers/chaining.ts as by the cron planner): three upstream
 * successes arrive while B's first chained run still holds. Mirrors test/scheduler/policies.test.ts
 * for cron occurrences. Real scheduler loop, real database (both dialects).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { OverlapPolicy } from "@/lib/db/constants";
import { planChainedTasks } from "@/lib/triggers/chaining";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { setCap, startTestScheduler, stopTestSchedulers, tasksOf, type TestScheduler } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

/** Upstream A succeeds at T0 + k s (a completed task), then a pass runs: chain step, then drain. */
async function upstreamSucceeds(s: TestScheduler, upstreamId: string, k: number): Promise<string> {
  const up = await makeTask({ scheduleId: upstreamId, status: "completed", createdAt: T0 + k * 1000 - 500, finishedAt: T0 + k * 1000 });
  s.clock.set(T0 + k * 1000 + 100);
  await s.loop.runPass();
  await waitFor(() => s.runtime.runs.every((r) => r.holding || r.finished), "runs settled");
  return up.id;
}

describe("chained runs and the downstream's overlap policy", () => {
  const scenario = async (overlapPolicy: OverlapPolicy) => {
    await setCap(5);
    const a = await makeSchedule({ name: "A", cronExpression: "0 0 1 1 *" });
    const b = await makeSchedule({ name: "B", cronExpression: "0 0 1 1 *", overlapPolicy, dependsOnScheduleId: a.id, dependsOnSince: T0 });
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    const ups = [await upstreamSucceeds(s, a.id, 1), await upstreamSucceeds(s, a.id, 2), await upstreamSucceeds(s, a.id, 3)];
    const rows = async () => {
      const mine = await tasksOf(b.id);
      return ups.map((u) => {
        const t = mine.find((m) => m.triggeredByTaskId === u && m.parentTaskId === null);
        return t ? [t.status, t.skippedReason] : null;
      });
    };
    return { s, a, b, rows };
  };

  it("skip: chained runs arriving while one runs are recorded as skipped (overlap), once per upstream run", async () => {
    const { s, b, rows } = await scenario("skip");
    expect(await rows()).toEqual([["running", null], ["skipped", "overlap"], ["skipped", "overlap"]]);
    // Decided once: more passes don't create another task for those upstream runs.
    const again = await planChainedTasks(getDb(), s.clock.now());
    expect(again.created.length + again.skipped.length).toBe(0);
    expect(await tasksOf(b.id)).toHaveLength(3);
  });

  it("buffer_one: one waits behind the running one, the next is skipped; the buffered one starts when the first ends", async () => {
    const { s, rows } = await scenario("buffer_one");
    expect(await rows()).toEqual([["running", null], ["queued", null], ["skipped", "overlap"]]);
    s.runtime.runs[0].release();
    await waitFor(async () => (await rows())[1]![0] === "running", "buffered chained run started");
    expect((await rows())[0]![0]).toBe("completed");
  });

  it("buffer_all: every chained run queues and they run one after another", async () => {
    const { s, rows } = await scenario("buffer_all");
    expect(await rows()).toEqual([["running", null], ["queued", null], ["queued", null]]);
    s.runtime.runs[0].release();
    await waitFor(async () => (await rows())[1]![0] === "running", "second started");
    expect((await rows())[2]![0]).toBe("queued");
  });

  it("cancel_other: the running chained run is cancelled and aborted, the newest runs", async () => {
    const { s, rows } = await scenario("cancel_other");
    expect(await rows()).toEqual([["cancelled", null], ["cancelled", null], ["running", null]]);
    // The abort reaches a run's runtime asynchronously (its signal's listener), after the pass.
    await waitFor(() => s.runtime.runs.slice(0, 2).every((r) => r.abortedWith !== undefined), "both cancelled runs aborted");
    expect(s.runtime.runs[0].abortedWith).toBe("cancelled");
    expect(s.runtime.runs[1].abortedWith).toBe("cancelled");
  });

  it("allow_all: chained runs run concurrently (only the cap limits them)", async () => {
    const { rows } = await scenario("allow_all");
    expect(await rows()).toEqual([["running", null], ["running", null], ["running", null]]);
  });

  it("a cron occurrence and a chained run of one schedule see each other (skip)", async () => {
    await setCap(5);
    const a = await makeSchedule({ name: "A", cronExpression: "0 0 1 1 *" });
    const b = await makeSchedule({ name: "B", cronExpression: "0 0 1 1 *", overlapPolicy: "skip", dependsOnScheduleId: a.id, dependsOnSince: T0 });
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    await makeTask({ scheduleId: b.id, status: "queued", plannedAt: T0, createdAt: T0 }); // B's own occurrence, waiting
    const up = await upstreamSucceeds(s, a.id, 1);
    const chained = (await tasksOf(b.id)).find((t) => t.triggeredByTaskId === up)!;
    expect([chained.status, chained.skippedReason]).toEqual(["skipped", "overlap"]);
  });
});
