import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { RUNNER_STALE_MS } from "@/lib/scheduler/tuning";
import { cancelTask } from "@/lib/tasks/cancel";
import { FakeClock } from "@/lib/time/clock";
import { makeRunner, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { TestRuntime, waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;
// What TestRuntime streams for one turn before it holds: usage 10 in / 5 out / $0.001.
const STREAMED = { inputTokens: 10, outputTokens: 5, costUsd: 0.001 };

describe("tokens and cost streamed before a run is ended by someone else are kept", () => {
  it("reaped (lease_expired): the usage streamed so far stays on the task", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxRunDurationSec: 120, maxAttempts: 1 });
    const s = await startTestScheduler({ runtime: new TestRuntime({ hold: true, ignoreAbort: true }) });
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    const [hung] = await tasksOf(sched.id);
    // The executor keeps the usage on the row while the task runs.
    await waitFor(async () => (await taskById(hung.id)).inputTokens === 10, "usage streamed onto the row");
    expect(await taskById(hung.id)).toMatchObject({ status: "running", ...STREAMED });

    s.clock.set(T0 + 5 * MIN + 120_000);
    expect((await s.loop.runPass())!.reaped).toEqual([hung.id]);
    expect(await taskById(hung.id)).toMatchObject({ status: "failed", failureReason: "lease_expired", ...STREAMED });
  });

  it("recovered (runtime_recovery): a dead runner's task keeps what it had streamed", async () => {
    await setCap(1);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1 });
    const dead = await makeRunner({ heartbeatAt: T0 });
    const orphan = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0, status: "running", runnerId: dead.id, slotClaimedAt: T0, startedAt: T0, leaseExpiresAt: T0 + 20 * MIN, maxAttempts: 1, turnCount: 2, ...STREAMED });
    await startTestScheduler({ clock: new FakeClock(T0 + RUNNER_STALE_MS + 1) });
    expect(await taskById(orphan.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery", turnCount: 2, ...STREAMED });
  });

  it("force-cancelled under another runner: the cancelled task keeps what it had streamed", async () => {
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const other = await makeRunner({ heartbeatAt: T0 });
    const task = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0, status: "running", runnerId: other.id, slotClaimedAt: T0, startedAt: T0, leaseExpiresAt: T0 + 20 * MIN, turnCount: 1, ...STREAMED });
    const after = await cancelTask(getDb(), task.id);
    expect(after).toMatchObject({ status: "cancelled", failureReason: "aborted", turnCount: 1, ...STREAMED });
  });
});
