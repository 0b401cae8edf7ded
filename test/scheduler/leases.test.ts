import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { updateRunnerHeartbeat } from "@/lib/db/queries/runners";
import { writeTerminal } from "@/lib/db/queries/task-runs";
import { getRunningTask } from "@/lib/scheduler/running-tasks";
import { RUNNER_STALE_MS } from "@/lib/scheduler/tuning";
import { FakeClock } from "@/lib/time/clock";
import { makeRunner, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { allTasks, eventsOf, setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { TestRuntime, waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

describe("leases and the reaper (invariants 4 and 5)", () => {
  it("a hung task's lease expires → failed/lease_expired, slot freed, retry with backoff; its late completion changes nothing", async () => {
    await setCap(1);
    // Ids in the order the two due occurrences start (ties go by schedule id).
    const sched = await makeSchedule({ id: "schedule-a-hung", cronExpression: "*/5 * * * *", maxRunDurationSec: 120, maxAttempts: 3 });
    const other = await makeSchedule({ id: "schedule-b-other", cronExpression: "*/5 * * * *", prompt: "other" });
    // The first run ignores its abort signal (a hung agent); it completes only when released.
    const runtime = new TestRuntime((input) => (input.prompt === sched.prompt ? { hold: true, ignoreAbort: true } : { hold: true }));
    const s = await startTestScheduler({ runtime });
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    const [hung] = await tasksOf(sched.id);
    const [waiting] = await tasksOf(other.id);
    expect(hung).toMatchObject({ status: "running", leaseExpiresAt: T0 + 5 * MIN + 120_000, maxRunDurationSec: 120 });
    expect(waiting.status).toBe("queued");
    await waitFor(async () => runtime.runs[0]?.holding && (await taskById(hung.id)).sessionId === "session-1", "hung run started and flushed its session");
    expect(s.loop.lastPass!.nextWakeAt).toBe(T0 + 5 * MIN + 120_000); // the loop wakes at the lease expiry

    s.clock.set(T0 + 5 * MIN + 120_000);
    const report = (await s.loop.runPass())!;
    expect(report.reaped).toEqual([hung.id]);
    expect(await taskById(hung.id)).toMatchObject({ status: "failed", failureReason: "lease_expired", finishedAt: T0 + 5 * MIN + 120_000 });
    expect(runtime.runs[0].abortedWith).toBe("lease_expired"); // the runtime was told to kill the process tree
    expect((await taskById(waiting.id)).status).toBe("running"); // the freed slot went to the queued task
    const retry = (await tasksOf(sched.id)).find((t) => t.parentTaskId === hung.id)!;
    expect(retry).toMatchObject({ status: "queued", sourceType: "retry", attempt: 2, plannedAt: hung.plannedAt, notBefore: T0 + 5 * MIN + 120_000 + 60_000, sessionId: "session-1" });
    expect((await eventsOf(sched.id)).map((e) => e.kind)).toEqual(expect.arrayContaining(["lease_expired", "task_retried"]));

    // The hung run finally "completes": the guarded terminal write refuses it.
    const hungRun = getRunningTask(hung.id)!;
    runtime.runs[0].release();
    await hungRun.done; // its terminal write was attempted
    expect(runtime.runs[0].finished).toBe(true);
    expect(await taskById(hung.id)).toMatchObject({ status: "failed", failureReason: "lease_expired" });
  });

  it("a runner that dies with running tasks: they are recovered as runtime_recovery and retried once", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 2 });
    const dead = await makeRunner({ heartbeatAt: T0 });
    const orphan = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0, status: "running", runnerId: dead.id, slotClaimedAt: T0, startedAt: T0, leaseExpiresAt: T0 + 20 * MIN, maxAttempts: 2, sessionId: "sess-orphan" });
    const runtime = new TestRuntime({ hold: true });
    // A live runner boots 10 s later: the dead runner's heartbeat isn't stale yet, nothing is recovered.
    const s = await startTestScheduler({ runtime, clock: new FakeClock(T0 + 10_000) });
    expect((await taskById(orphan.id)).status).toBe("running");
    s.clock.set(T0 + RUNNER_STALE_MS + 1);
    await s.loop.heartbeat();
    expect(await taskById(orphan.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery" });
    const retry = (await tasksOf(sched.id)).find((t) => t.parentTaskId === orphan.id)!;
    expect(retry).toMatchObject({ attempt: 2, sourceType: "retry", sessionId: "sess-orphan", notBefore: T0 + RUNNER_STALE_MS + 1 + 60_000 });
    expect((await eventsOf(sched.id)).map((e) => e.kind)).toContain("runtime_recovery");

    // The retry runs after its backoff, resuming the session, and fails the same way: no third attempt.
    s.clock.set(retry.notBefore!);
    await s.loop.runPass();
    expect((await taskById(retry.id)).status).toBe("running");
    await waitFor(() => runtime.runs.length === 1, "retry started");
    expect(runtime.runs[0].input.resumeSessionId).toBe("sess-orphan");
    await updateRunnerHeartbeat(getDb(), s.runnerId, 0);
    s.loop.halt(); // this runner now "dies" too
    const s2 = await startTestScheduler({ runtime, clock: new FakeClock(retry.notBefore! + RUNNER_STALE_MS + 1) });
    expect(await taskById(retry.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery", runnerId: s.runnerId });
    expect(await tasksOf(sched.id)).toHaveLength(2); // attempts exhausted
    expect(s2.loop.lastPass!.recovered).toBe(1);
    // Its late completion callback can't overwrite the recovered row.
    const lateRun = getRunningTask(retry.id)!;
    runtime.runs[0].release();
    await lateRun.done;
    expect((await taskById(retry.id)).status).toBe("failed");
  });

  it("at boot, a stopped runner's running tasks are recovered and queued tasks drain (invariant 9)", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "0 0 1 1 *", maxAttempts: 1 });
    const stopped = await makeRunner({ heartbeatAt: T0, stoppedAt: T0 });
    const orphan = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 - MIN, status: "running", runnerId: stopped.id, startedAt: T0 - MIN, slotClaimedAt: T0 - MIN, maxAttempts: 1 });
    const queued = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 - 30_000, status: "queued" });
    const s = await startTestScheduler();
    expect(await taskById(orphan.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery" });
    expect((await allTasks()).filter((t) => t.parentTaskId === orphan.id)).toHaveLength(0); // maxAttempts 1
    await s.loop.idle();
    expect((await taskById(queued.id)).status).toBe("completed");
  });

  it("a task cancelled by another process is aborted here on the next heartbeat; this runner's late write is refused", async () => {
    await setCap(2);
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *" });
    const runtime = new TestRuntime({ hold: true });
    const s = await startTestScheduler({ runtime });
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    const [task] = await tasksOf(sched.id);
    await waitFor(() => runtime.runs[0]?.holding, "run holding");
    const entry = getRunningTask(task.id)!;
    // Another runner (another process sharing the file) writes the cancel, guarded on our runner id.
    await writeTerminal(getDb(), {
      taskId: task.id, guardRunnerId: s.runnerId, status: "cancelled", failureReason: null, error: "cancelled elsewhere", result: null,
      turnCount: 0, sessionId: null, inputTokens: null, outputTokens: null, costUsd: null, now: T0 + 5 * MIN + 1000,
    });
    await s.loop.heartbeat();
    expect(runtime.runs[0].abortedWith).toBe("cancelled");
    await entry.done;
    expect(await taskById(task.id)).toMatchObject({ status: "cancelled", error: "cancelled elsewhere" });
  });
});
