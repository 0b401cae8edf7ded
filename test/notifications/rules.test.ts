/**
 * Issue 11 item 2, "what is notified", through the real scheduler loop (fake clock, scripted
 * runtime) and a real local webhook receiver: task_failed once per streak at the first failure
 * that will not be retried (never while a retry is pending), task_recovered once, auto-pause
 * with its reason, missed occurrences, budget breaches, successes with their result, quiet runs.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, withTransaction } from "@/lib/db/client";
import { recordEvent } from "@/lib/events/log";
import { createChannel } from "@/lib/notifications/channels";
import type { NotificationPayload } from "@/lib/notifications/payload";
import { verifyWebhookSignature } from "@/lib/notifications/transports";
import { makeSchedule, T0 } from "../factories";
import { setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf, type TestScheduler } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";
import { deliveryRows, eventRows, notificationSlateForFile } from "./helpers";
import { startReceiver } from "../support/notification-receiver";

const MIN = 60_000;
const slate = notificationSlateForFile();
let secret: string;

beforeEach(async () => {
  const created = await createChannel({ name: "default hook", kind: "webhook", config: { url: slate.receiver.url }, isDefault: true }, T0);
  secret = created.shownSecret!;
  await setCap(2);
});
afterEach(() => stopTestSchedulers());

/** The notifications the slate.receiver got, in order, each checked against its signature. */
function received(): NotificationPayload[] {
  return slate.receiver.requests.map((r) => {
    const ok = verifyWebhookSignature({
      secret,
      signature: r.headers["x-agentcron-signature"] as string,
      timestamp: r.headers["x-agentcron-timestamp"] as string,
      rawBody: r.rawBody,
      nowSec: Number(r.headers["x-agentcron-timestamp"]),
    });
    expect(ok, "signature").toBe(true);
    return r.json as NotificationPayload;
  });
}

/** Fires the occurrence at `at`, waits for its task (and any retry due by then) to finish, and sends the outbox. */
async function fire(s: TestScheduler, scheduleId: string, at: number): Promise<void> {
  s.clock.set(at);
  // runPass() during a pass (a finished task's poke) returns at once: pass until the firing ran.
  await waitFor(async () => {
    await s.loop.runPass();
    const tasks = await tasksOf(scheduleId);
    const fired = tasks.some((t) => t.plannedAt === at || t.notBefore === at);
    return fired && tasks.every((t) => t.status !== "running" && !(t.status === "queued" && (t.notBefore ?? t.plannedAt ?? 0) <= at));
  }, `the firing at ${at} ran`, 20_000);
  await s.loop.notifications.drain();
}

describe("task outcomes", () => {
  it("0 false alerts across a retry that succeeds: nothing while the retry is pending, nothing when it succeeds", async () => {
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript((_input, index) => (index === 0 ? { outcome: "error", failureReason: "network" } : {}));
    await fire(s, sched.id, T0 + 5 * MIN);
    const retry = (await tasksOf(sched.id)).find((t) => t.sourceType === "retry")!;
    expect(retry).toMatchObject({ status: "queued" });
    expect(slate.receiver.requests).toHaveLength(0);

    await fire(s, sched.id, retry.notBefore!);
    expect((await taskById(retry.id)).status).toBe("completed");
    expect(slate.receiver.requests).toHaveLength(0);
    expect(await eventRows()).toEqual([]);
    expect(await deliveryRows()).toEqual([]);
  });

  it("a failure that exhausted its retries notifies once, carrying the task; the retried attempt before it did not", async () => {
    const sched = await makeSchedule({ name: "sync", cronExpression: "*/5 * * * *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript(() => ({ outcome: "error", failureReason: "network", error: "connection reset" }));
    await fire(s, sched.id, T0 + 5 * MIN);
    expect(slate.receiver.requests).toHaveLength(0);
    const retry = (await tasksOf(sched.id)).find((t) => t.sourceType === "retry")!;
    await fire(s, sched.id, retry.notBefore!);
    const got = received();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      type: "task_failed",
      schedule: { id: sched.id, name: "sync" },
      task: { id: retry.id, status: "failed", failureReason: "network", result: "turn 1", costUsd: 0.001 },
      detail: { error: "connection reset", attempt: 2, maxAttempts: 2 },
    });
  });

  it("once per streak: fail, fail → one task_failed; success → one task_recovered; fail again → a new task_failed", async () => {
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1 });
    const s = await startTestScheduler();
    const plan = ["error", "error", "success", "success", "error"] as const;
    s.runtime.setScript((_input, index) => (plan[index] === "error" ? { outcome: "error", failureReason: "agent_error" } : {}));
    for (let i = 0; i < plan.length; i++) await fire(s, sched.id, T0 + (i + 1) * 5 * MIN);
    expect(received().map((p) => p.type)).toEqual(["task_failed", "task_recovered", "task_failed"]);
    const recovered = received()[1];
    expect(recovered.task).toMatchObject({ status: "completed", result: `done: ${sched.prompt}` });
  });

  it("an auto-pause notifies with its reason; the streak's task_failed is not repeated", async () => {
    const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1 });
    const s = await startTestScheduler();
    s.runtime.setScript(() => ({ outcome: "error", failureReason: "agent_error" }));
    for (let i = 1; i <= 3; i++) await fire(s, sched.id, T0 + i * 5 * MIN);
    const got = received();
    expect(got.map((p) => p.type)).toEqual(["task_failed", "schedule_paused"]);
    expect(got[1].detail).toMatchObject({ pausedReason: "failure_streak" });
    expect(got[1].detail.message).toMatch(/Paused after 3 failures in a row/);
  });

  it("task_succeeded carries the result to schedules that ask for it; a quiet run (result has the marker) is recorded, not notified", async () => {
    const loud = await makeSchedule({ name: "loud", prompt: "found 3 issues", cronExpression: "*/5 * * * *", notifyOn: ["task_succeeded"] });
    const quiet = await makeSchedule({ name: "quiet", prompt: "NO_FINDINGS today", cronExpression: "*/5 * * * *", notifyOn: ["task_succeeded"], quietResultMarker: "NO_FINDINGS" });
    const plain = await makeSchedule({ name: "plain", cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.clock.set(T0 + 5 * MIN);
    await s.loop.runPass();
    await waitFor(async () => (await Promise.all([loud, quiet, plain].map((x) => tasksOf(x.id)))).flat().every((t) => t.status === "completed"), "runs completed");
    await s.loop.notifications.drain();
    const got = received();
    expect(got.map((p) => [p.type, p.schedule?.name])).toEqual([["task_succeeded", "loud"]]);
    expect(got[0].task).toMatchObject({ status: "completed", result: "done: found 3 issues" });
    expect((await tasksOf(quiet.id))[0]).toMatchObject({ status: "completed", result: "done: NO_FINDINGS today" });
  });
});

describe("routing", () => {
  it("a schedule's own channels replace the defaults, notifyOn filters events, and a channel's events filter too", async () => {
    const other = await startReceiver();
    try {
      const own = await createChannel({ name: "own", kind: "webhook", config: { url: other.url }, events: ["task_failed"] }, T0);
      const sched = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1, notificationChannelIds: [own.channel.id], notifyOn: ["task_failed", "task_recovered"] });
      const muted = await makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 1, notifyOn: ["task_recovered"] });
      const s = await startTestScheduler();
      s.runtime.setScript((input) => (input.prompt && s.clock.now() < T0 + 10 * MIN ? { outcome: "error", failureReason: "agent_error" } : {}));
      await fire(s, sched.id, T0 + 5 * MIN);
      await waitFor(async () => (await tasksOf(muted.id)).every((t) => t.status === "failed"), "muted failed");
      await fire(s, sched.id, T0 + 10 * MIN);
      await waitFor(async () => (await tasksOf(muted.id)).some((t) => t.status === "completed"), "muted recovered");
      await s.loop.notifications.drain();
      // The default channel got only the muted schedule's recovery (its failure is not in its notifyOn).
      expect(received().map((p) => [p.type, p.schedule?.id])).toEqual([["task_recovered", muted.id]]);
      // The schedule's own channel takes task_failed only (its events), not the recovery.
      expect(other.requests.map((r) => (r.json as NotificationPayload).type)).toEqual(["task_failed"]);
    } finally {
      await other.close();
    }
  });
});

describe("activity-log causes (recordEvent hook, same transaction)", () => {
  it("missed occurrences notify with count and range, budget breaches once per schedule, scope and cap a day; the same cause never twice", async () => {
    const sched = await makeSchedule({ name: "hourly" });
    const s = await startTestScheduler();
    const db = getDb();
    const missed = { kind: "missed_occurrences" as const, scheduleId: sched.id, message: "12 occurrences missed", data: { count: 12, approximate: false, from: T0 - 12 * 60 * MIN, to: T0, catchUpPolicy: "latest" }, createdAt: T0 };
    await withTransaction(db, (tx) => recordEvent(tx, missed));
    await withTransaction(db, (tx) => recordEvent(tx, { ...missed, createdAt: T0 + 1 }));
    const budget = { kind: "budget_exceeded" as const, scheduleId: sched.id, message: "24 h cap reached", data: { scope: "schedule_24h", capUsd: 5, spentUsd: 5.2 }, createdAt: T0 + 1000 };
    await withTransaction(db, (tx) => recordEvent(tx, budget));
    await withTransaction(db, (tx) => recordEvent(tx, { ...budget, createdAt: T0 + 2000, data: { ...budget.data, spentUsd: 5.4 } }));
    // Raising the cap re-arms the alert.
    await withTransaction(db, (tx) => recordEvent(tx, { ...budget, createdAt: T0 + 3000, data: { scope: "schedule_24h", capUsd: 10, spentUsd: 10.1 } }));
    s.clock.set(T0 + 3000);
    await s.loop.notifications.drain();
    const got = received();
    expect(got.map((p) => p.type)).toEqual(["occurrences_missed", "budget_exceeded", "budget_exceeded"]);
    expect(got[0]).toMatchObject({ schedule: { name: "hourly" }, detail: { count: 12, from: new Date(T0 - 12 * 60 * MIN).toISOString(), to: new Date(T0).toISOString() } });
    expect(got[1].detail).toMatchObject({ scope: "schedule_24h", capUsd: 5, spentUsd: 5.2 });
    expect(got[2].detail).toMatchObject({ capUsd: 10 });
  });

  it("a cause rolled back with its transaction leaves no notification", async () => {
    const sched = await makeSchedule();
    await expect(
      withTransaction(getDb(), async (tx) => {
        await recordEvent(tx, { kind: "auto_paused", scheduleId: sched.id, message: "Paused", data: { pausedReason: "failure_streak" }, createdAt: T0 });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await eventRows()).toEqual([]);
    expect(await deliveryRows()).toEqual([]);
  });
});
