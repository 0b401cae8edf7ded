import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { drainQueue } from "@/lib/scheduler/drain";
import { planDueOccurrences } from "@/lib/scheduler/occurrence-planner";
import { claimSlot, countRunning } from "@/lib/scheduler/slot-claim";
import { finishRunningTask, outcomeWithoutRun } from "@/lib/scheduler/terminal-write";
import { fallbackSample } from "@/lib/scheduler/firing-metrics";
import { getSettings } from "@/lib/config/settings";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { BACKOFF_MS, allTasks, countByStatus, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { FakeClock } from "@/lib/time/clock";
import { TestRuntime, waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

describe("slots", () => {
  it("5 schedules due at once with cap 2 → 2 running, 3 queued; they drain as slots free", async () => {
    await setCap(2);
    const ids = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await makeSchedule({ name: `s${i}`, prompt: `p${i}`, cronExpression: "*/5 * * * *" })).id));
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    s.clock.set(T0 + 5 * 60_000);
    const report = (await s.loop.runPass())!;
    expect(report.plans).toHaveLength(5);
    expect(await countByStatus()).toEqual({ running: 2, queued: 3 });
    await waitFor(() => s.runtime.runs.length === 2, "two runs started");

    // Each release frees one slot; the loop's task-finished poke drains the next queued task.
    for (let done = 1; done <= 5; done++) {
      const live = s.runtime.runs.filter((r) => !r.finished);
      live[0].release();
      await waitFor(async () => ((await countByStatus()).completed ?? 0) === done, `${done} completed`);
      await waitFor(() => s.runtime.runs.length === Math.min(done + 2, 5), "next run started");
      expect(await countRunning(getDb())).toBeLessThanOrEqual(2);
    }
    expect(await countByStatus()).toEqual({ completed: 5 });
    // Every schedule ran exactly once (the start order is asserted by the FIFO test below:
    // these five share one occurrence and one creation instant, so their order is a tie).
    expect(s.runtime.runs.map((r) => r.input.prompt).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    for (const id of ids) expect(await tasksOf(id)).toHaveLength(1);
  });

  it("FIFO: queued tasks start in occurrence order, then creation order — not insertion order", async () => {
    await setCap(1);
    const MIN = 60_000;
    // [prompt, plannedAt, createdAt], inserted in this (shuffled) order.
    const queued: [string, number, number][] = [
      ["third", T0 + 3 * MIN, T0 + 3 * MIN],
      ["first", T0 + 1 * MIN, T0 + 1 * MIN],
      ["fifth", T0 + 4 * MIN, T0 + 4 * MIN + 2],
      ["second", T0 + 2 * MIN, T0 + 2 * MIN],
      ["fourth", T0 + 4 * MIN, T0 + 4 * MIN + 1],
    ];
    for (const [prompt, plannedAt, createdAt] of queued) {
      // A schedule that won't fire during the test (next occurrence: next January).
      const sched = await makeSchedule({ cronExpression: "0 0 1 1 *", prompt });
      await makeTask({ scheduleId: sched.id, sourceType: "scheduled", prompt, plannedAt, createdAt });
    }
    const s = await startTestScheduler({ runtime: new TestRuntime({ hold: true }), clock: new FakeClock(T0 + 10 * MIN) });
    await s.loop.runPass();
    for (let started = 1; started <= queued.length; started++) {
      await waitFor(() => s.runtime.runs.length === started && s.runtime.runs[started - 1].holding, `run ${started} started`);
      s.runtime.runs[started - 1].release();
    }
    expect(s.runtime.runs.map((r) => r.input.prompt)).toEqual(["first", "second", "third", "fourth", "fifth"]);
  });

  it("the claim is one conditional UPDATE: manual running tasks count, force exceeds the cap, notBefore is honoured", async () => {
    await setCap(1);
    const db = getDb();
    const settings = await getSettings(db);
    const a = await makeTask({ status: "queued" });
    const b = await makeTask({ status: "queued" });
    const later = await makeTask({ status: "queued", notBefore: T0 + 60_000 });
    const claim = async (id: string, force = false) =>
      claimSlot(db, { taskId: id, runnerId: "r1", now: T0, cap: settings.maxConcurrent, defaultLeaseSec: 600, force });
    expect(await claim(a.id)).toBe(true);
    expect(await claim(a.id)).toBe(false); // already running
    expect(await claim(b.id)).toBe(false); // cap 1 reached
    expect(await claim(later.id, true)).toBe(false); // notBefore in the future, even forced
    expect(await claim(b.id, true)).toBe(true);
    const row = await taskById(a.id);
    expect(row).toMatchObject({ status: "running", runnerId: "r1", slotClaimedAt: T0, startedAt: T0, leaseExpiresAt: T0 + 600_000 });
    expect((await taskById(b.id)).forced).toBe(true);
  });

  // 1,000 rounds on SQLite; fewer on PostgreSQL (a round is ~40 statements over the network):
  // the concurrent-runner proof there is test/db/pg/cap-concurrency.test.ts.
  const ROUNDS = getDb().$dialect === "pg" ? 150 : 1000;
  it(`the cap is never exceeded across ${ROUNDS} random interleavings of plan/claim/finish by two runners`, { timeout: 120_000 }, async () => {
    const db = getDb();
    let seed = 42;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < ROUNDS; round++) {
      await truncateAll(db);
      const cap = 1 + Math.floor(rand() * 3);
      const settings = { ...await getSettings(db), maxConcurrent: cap };
      const schedulesCount = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < schedulesCount; i++) {
        await makeSchedule({ cronExpression: "* * * * *", overlapPolicy: rand() < 0.5 ? "allow_all" : "buffer_all" });
      }
      let now = T0;
      for (let step = 0; step < 12; step++) {
        const action = rand();
        const runner = rand() < 0.5 ? "runner-a" : "runner-b";
        if (action < 0.3) {
          now += 60_000;
          await planDueOccurrences(db, now, BACKOFF_MS);
        } else if (action < 0.7) {
          await drainQueue({ db, now, runnerId: runner, settings, chatStreams: 0 });
        } else {
          const running = (await allTasks(db)).filter((t) => t.status === "running").sort((x, y) => x.id.localeCompare(y.id));
          if (running.length) {
            const t = running[Math.floor(rand() * running.length)];
            const outcome = outcomeWithoutRun(t, rand() < 0.7 ? "completed" : "failed", null, "x");
            await finishRunningTask(db, { taskId: t.id, guardRunnerId: t.runnerId, outcome, now, sample: fallbackSample(0), retryBackoffMs: [0] });
          }
        }
        const running = await countRunning(db);
        if (running > cap) throw new Error(`round ${round} step ${step}: ${running} running with cap ${cap}`);
      }
    }
  });
});
