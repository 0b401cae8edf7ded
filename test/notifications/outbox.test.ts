/**
 * Issue 11 item 1, durable delivery (ADR 0021): retries with exponential backoff and every
 * attempt recorded; two senders never send one delivery twice (the claim's lease, FOR UPDATE
 * SKIP LOCKED on PostgreSQL); a sender that died mid-send loses its lease; and a real process
 * killed with SIGKILL between the event and the send delivers exactly once after a restart on
 * the same database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { getDb, withTransaction } from "@/lib/db/client";
import { claimDueDeliveries, recordAttempt } from "@/lib/db/queries/notifications";
import { createChannel } from "@/lib/notifications/channels";
import { enqueueNotification } from "@/lib/notifications/enqueue";
import { deliverDue, DELIVERY_LEASE_MS, MAX_DELIVERY_ATTEMPTS } from "@/lib/notifications/sender";
import { makeSchedule, makeTask, T0 } from "../factories";
import { waitFor } from "../support/test-runtime";
import { attemptRows, deliveryRows, notificationSlateForFile } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const slate = notificationSlateForFile();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

async function enqueue(channelIds: string[], key: string, at = T0) {
  const schedule = await makeSchedule();
  return withTransaction(getDb(), (tx) => enqueueNotification(tx, { type: "task_failed", causeKey: key, scheduleId: schedule.id, detail: {}, occurredAt: at, channelIds }));
}

describe("retries and the attempt log", () => {
  it("retries with exponential backoff (10 s, 30 s …) keeping the delivery id, records every attempt, and delivers on the first 2xx", async () => {
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } }, T0);
    slate.receiver.respond = (i) => (i < 2 ? 500 : 204);
    const queued = await enqueue([channel.id], "k1");
    const db = getDb();
    expect(await deliverDue(db, "r", () => T0)).toMatchObject({ claimed: 1, retrying: 1 });
    expect(await deliverDue(db, "r", () => T0 + 9_999)).toMatchObject({ claimed: 0 });
    expect(await deliverDue(db, "r", () => T0 + 10_000)).toMatchObject({ claimed: 1, retrying: 1 });
    expect(await deliverDue(db, "r", () => T0 + 39_999)).toMatchObject({ claimed: 0 });
    expect(await deliverDue(db, "r", () => T0 + 40_000)).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await deliverDue(db, "r", () => T0 + 10_000_000)).toMatchObject({ claimed: 0 });

    expect(slate.receiver.requests.map((r) => r.headers["x-agentcron-delivery"])).toEqual(Array(3).fill(queued!.deliveryIds[0]));
    expect(slate.receiver.requests.map((r) => r.headers["x-agentcron-timestamp"])).toEqual([T0, T0 + 10_000, T0 + 40_000].map((t) => String(t / 1000)));
    expect(await attemptRows()).toMatchObject([
      { attempt: 1, ok: false, responseStatus: 500, error: "HTTP 500" },
      { attempt: 2, ok: false, responseStatus: 500 },
      { attempt: 3, ok: true, responseStatus: 204, error: null },
    ]);
    expect(await deliveryRows()).toMatchObject([{ status: "delivered", attempts: 3, responseStatus: 204, deliveredAt: T0 + 40_000 }]);
  });

  it(`gives up after ${MAX_DELIVERY_ATTEMPTS} attempts: status failed, nothing due any more`, async () => {
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } }, T0);
    slate.receiver.respond = () => 500;
    await enqueue([channel.id], "k2");
    let now = T0;
    for (let i = 0; i < MAX_DELIVERY_ATTEMPTS; i++) {
      expect((await deliverDue(getDb(), "r", () => now)).claimed).toBe(1);
      now = (await deliveryRows())[0].nextAttemptAt;
    }
    expect(await deliveryRows()).toMatchObject([{ status: "failed", attempts: MAX_DELIVERY_ATTEMPTS }]);
    expect(await deliverDue(getDb(), "r", () => now + 1e9)).toMatchObject({ claimed: 0 });
    expect(slate.receiver.requests).toHaveLength(MAX_DELIVERY_ATTEMPTS);
  });
});

describe("claims", () => {
  it("two senders racing over 30 deliveries send each exactly once", async () => {
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } }, T0);
    for (let i = 0; i < 30; i++) await enqueue([channel.id], `race-${i}`);
    const db = getDb();
    const rounds = await Promise.all([deliverDue(db, "a", () => T0, { limit: 7 }), deliverDue(db, "b", () => T0, { limit: 7 }), deliverDue(db, "c", () => T0, { limit: 7 })]);
    while ((await deliverDue(db, "d", () => T0)).claimed > 0);
    expect(rounds.reduce((n, r) => n + r.claimed, 0)).toBe(21);
    const ids = slate.receiver.requests.map((r) => r.headers["x-agentcron-delivery"]);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect((await deliveryRows()).every((d) => d.status === "delivered" && d.attempts === 1)).toBe(true);
  });

  it("a sender that died mid-send loses the row when its lease expires; its late record is refused", async () => {
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } }, T0);
    await enqueue([channel.id], "lease");
    const db = getDb();
    const [dead] = await withTransaction(db, (tx) => claimDueDeliveries(tx, "dead", T0, T0 + DELIVERY_LEASE_MS, 10));
    expect(dead.delivery).toMatchObject({ status: "sending", leaseOwner: "dead", attempts: 1 });
    expect(await deliverDue(db, "alive", () => T0 + DELIVERY_LEASE_MS - 1)).toMatchObject({ claimed: 0 });
    expect(await deliverDue(db, "alive", () => T0 + DELIVERY_LEASE_MS)).toMatchObject({ claimed: 1, delivered: 1 });
    const late = await recordAttempt(db, {
      deliveryId: dead.delivery.id, owner: "dead", attempt: 1, ok: true, responseStatus: 200, error: null, startedAt: T0, durationMs: 1, status: "delivered", nextAttemptAt: null, now: T0 + 1,
    });
    expect(late).toBe(false);
    expect(await attemptRows()).toMatchObject([{ attempt: 2, ok: true }]);
  });
});

/** Runs a child (node + tsx, react-server conditions) on this file's database; resolves when stdout matches `ready`. */
async function startChild(script: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", path.join(ROOT, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (ready.test(out)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}:\n${out}`)));
    setTimeout(() => reject(new Error(`${script} not ready:\n${out}`)), 60_000);
  });
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
}

describe("a kill -9 between the event and the send (real processes, same database)", () => {
  it("the committed outbox row is delivered exactly once by the restarted runner, and not again by the next restart", async () => {
    await createChannel({ name: "default hook", kind: "webhook", config: { url: slate.receiver.url }, isDefault: true }, Date.now());
    // Paused: the restarted runners plan nothing for it (no missed-occurrence alert in the way).
    const schedule = await makeSchedule({ maxAttempts: 1, status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    const task = await makeTask({ scheduleId: schedule.id, status: "running", runnerId: "runner-gone", sourceType: "scheduled", plannedAt: Date.now() - 1000, maxAttempts: 1 });

    // Process 1 commits the failure with its outbox row, then dies before any send.
    const cause = await startChild("test/support/notify-cause-child.mts", [task.id, "runner-gone"], /committed true/);
    await kill9(cause);
    expect(await deliveryRows()).toMatchObject([{ status: "pending", attempts: 0 }]);
    expect(slate.receiver.requests).toHaveLength(0);

    // Process 2: a real runner booted on the same data (the server's boot path) sends it.
    const runner = await startChild("test/support/crash-runner.mts", [], /ready \S+/);
    await waitFor(() => slate.receiver.requests.length >= 1, "delivery after restart", 30_000);
    await waitFor(async () => (await deliveryRows())[0].status === "delivered", "delivery recorded", 10_000);
    await kill9(runner);

    // Process 3: another restart finds nothing to send (it prints `idle` after a whole pass
    // and the sender's round after it).
    const again = await startChild("test/support/crash-runner.mts", [], /\bidle\b/);
    await kill9(again);

    expect(slate.receiver.requests).toHaveLength(1);
    expect(slate.receiver.requests[0].json).toMatchObject({ type: "task_failed", task: { id: task.id, failureReason: "agent_error" }, schedule: { id: schedule.id } });
    expect(await deliveryRows()).toMatchObject([{ status: "delivered", attempts: 1, responseStatus: 200 }]);
    expect(await attemptRows()).toHaveLength(1);
  });
});
