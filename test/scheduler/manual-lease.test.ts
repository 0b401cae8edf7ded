import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { rerunTask, runScheduleNow } from "@/lib/tasks/manual-run";
import { makeSchedule, T0, truncateAll } from "../factories";
import { startTestScheduler, stopTestSchedulers, taskById } from "../support/scheduler-harness";
import { TestRuntime, waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

describe("manual runs are leased like scheduled ones", () => {
  it.each([["Run now"], ["rerun"]])("%s re-arms the loop's wake at the new task's lease expiry", async (kind) => {
    // The only schedule fires once a year, so the loop sleeps far past the manual task's lease.
    const s = await makeSchedule({ cronExpression: "0 0 1 1 *", maxRunDurationSec: 2 });
    const { loop, clock } = await startTestScheduler({ runtime: new TestRuntime({ hold: true }) });
    expect(loop.lastPass!.nextWakeAt).toBeGreaterThan(T0 + 60_000);

    let taskId = (await runScheduleNow(getDb(), s.id, false)).taskId;
    if (kind === "rerun") {
      await waitFor(async () => (await taskById(taskId))?.status === "running", "the first manual task to run");
      taskId = (await rerunTask(getDb(), taskId, true)).taskId;
    }
    const task = (await taskById(taskId))!;
    expect(task.leaseExpiresAt).toBe(clock.now() + 2_000);
    await waitFor(() => loop.lastPass!.nextWakeAt === task.leaseExpiresAt, "a pass that arms the wake at the lease expiry");

    // When that wake comes, the reaper fails the hung manual task.
    clock.advance(2_001);
    await loop.runPass();
    await waitFor(async () => (await taskById(taskId))!.status === "failed", "the reaper to fail the task");
    expect((await taskById(taskId))!.failureReason).toBe("lease_expired");
  });
});
