/**
 * Issue 11 item 1: the three channel kinds against real local servers — a webhook to a
 * node:http server that checks the HMAC signature itself, the Slack message format, and
 * email over SMTP to a local `smtp-server` (not a mock).
 */
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getDb, withTransaction } from "@/lib/db/client";
import { createChannel } from "@/lib/notifications/channels";
import { enqueueNotification } from "@/lib/notifications/enqueue";
import { deliverDue } from "@/lib/notifications/sender";
import { verifyWebhookSignature } from "@/lib/notifications/transports";
import { makeSchedule, T0 } from "../factories";
import { attemptRows, deliveryRows, notificationSlateForFile } from "./helpers";
import { startReceiver } from "../support/notification-receiver";

const slate = notificationSlateForFile();

const task = { id: "task-1", status: "failed" as const, failureReason: "agent_error" as const, result: null, costUsd: 0.0123 };

async function enqueueFailure(channelId: string, scheduleId: string, now = T0) {
  return withTransaction(getDb(), (tx) =>
    enqueueNotification(tx, { type: "task_failed", causeKey: `task_failed:${channelId}`, scheduleId, task, detail: { error: "exit code 1 <boom>" }, occurredAt: now, channelIds: [channelId] }),
  );
}

describe("webhook channel", () => {
  it("POSTs the documented JSON with delivery id, unix timestamp and an HMAC-SHA256 signature over '<timestamp>.<raw body>' that the slate.receiver can verify", async () => {
    const schedule = await makeSchedule({ name: "nightly report" });
    const { channel, shownSecret } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url } }, T0);
    expect(shownSecret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const queued = await enqueueFailure(channel.id, schedule.id);
    const sendAt = T0 + 1500;
    const round = await deliverDue(getDb(), "runner-a", () => sendAt);
    expect(round).toMatchObject({ claimed: 1, delivered: 1 });

    expect(slate.receiver.requests).toHaveLength(1);
    const req = slate.receiver.requests[0];
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["x-agentcron-delivery"]).toBe(queued!.deliveryIds[0]);
    expect(req.headers["x-agentcron-timestamp"]).toBe(String(Math.floor(sendAt / 1000)));
    // The receiver's own computation, independent of the code under test.
    const expected = createHmac("sha256", shownSecret!).update(`${req.headers["x-agentcron-timestamp"]}.${req.rawBody}`).digest("hex");
    expect(req.headers["x-agentcron-signature"]).toBe(`sha256=${expected}`);
    expect(
      verifyWebhookSignature({ secret: shownSecret!, signature: req.headers["x-agentcron-signature"] as string, timestamp: req.headers["x-agentcron-timestamp"] as string, rawBody: req.rawBody, nowSec: sendAt / 1000 }),
    ).toBe(true);
    // A different secret, a tampered body or a stale timestamp fail the check.
    const ts = req.headers["x-agentcron-timestamp"] as string;
    const sig = req.headers["x-agentcron-signature"] as string;
    expect(verifyWebhookSignature({ secret: "whsec_other-secret-0123456789", signature: sig, timestamp: ts, rawBody: req.rawBody, nowSec: sendAt / 1000 })).toBe(false);
    expect(verifyWebhookSignature({ secret: shownSecret!, signature: sig, timestamp: ts, rawBody: req.rawBody.replace("nightly", "daily"), nowSec: sendAt / 1000 })).toBe(false);
    expect(verifyWebhookSignature({ secret: shownSecret!, signature: sig, timestamp: ts, rawBody: req.rawBody, nowSec: sendAt / 1000 + 600 })).toBe(false);

    expect(req.json).toEqual({
      id: queued!.eventId,
      type: "task_failed",
      occurredAt: new Date(T0).toISOString(),
      schedule: { id: schedule.id, name: "nightly report" },
      task: { id: "task-1", status: "failed", failureReason: "agent_error", result: null, costUsd: 0.0123 },
      detail: { error: "exit code 1 <boom>" },
    });
    const [delivery] = await deliveryRows();
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, responseStatus: 200, deliveredAt: sendAt });
    expect(await attemptRows()).toMatchObject([{ attempt: 1, ok: true, responseStatus: 200, error: null }]);
  });

  it("a non-2xx answer is recorded as a failed attempt with its status code and retried later", async () => {
    const schedule = await makeSchedule();
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: slate.receiver.url, secret: "s3cret-s3cret-s3cret" } }, T0);
    slate.receiver.respond = () => 503;
    await enqueueFailure(channel.id, schedule.id);
    const round = await deliverDue(getDb(), "runner-a", () => T0);
    expect(round).toMatchObject({ claimed: 1, delivered: 0, retrying: 1 });
    expect(await deliveryRows()).toMatchObject([{ status: "pending", attempts: 1, responseStatus: 503, lastError: "HTTP 503", nextAttemptAt: T0 + 10_000 }]);
    expect(await attemptRows()).toMatchObject([{ attempt: 1, ok: false, responseStatus: 503 }]);
  });

  it("a refused connection is an attempt with an error and no response code", async () => {
    const schedule = await makeSchedule();
    const closed = await startReceiver();
    await closed.close();
    const { channel } = await createChannel({ name: "hook", kind: "webhook", config: { url: closed.url } }, T0);
    await enqueueFailure(channel.id, schedule.id);
    await deliverDue(getDb(), "runner-a", () => T0);
    const [attempt] = await attemptRows();
    expect(attempt).toMatchObject({ ok: false, responseStatus: null });
    expect(attempt.error).toMatch(/ECONNREFUSED/);
  });
});

describe("Slack-compatible channel", () => {
  it("POSTs {text, username} with the schedule, the failure and Slack's control characters escaped", async () => {
    const schedule = await makeSchedule({ name: "deps <audit>" });
    const { channel, shownSecret } = await createChannel({ name: "slack", kind: "slack", config: { url: `${slate.receiver.url}/services/T000/B000/XXXX` } }, T0);
    expect(shownSecret).toBeNull();
    await enqueueFailure(channel.id, schedule.id);
    await deliverDue(getDb(), "runner-a", () => T0);
    expect(slate.receiver.requests).toHaveLength(1);
    const req = slate.receiver.requests[0];
    expect(req.path).toBe("/hook/services/T000/B000/XXXX");
    expect(req.headers["x-agentcron-signature"]).toBeUndefined();
    const body = req.json as { text: string; username: string };
    expect(Object.keys(body).sort()).toEqual(["text", "username"]);
    expect(body.username).toBe("Agentcron");
    expect(body.text.split("\n")[0]).toBe('*Schedule "deps &lt;audit&gt;" failed*');
    expect(body.text).toContain("Failure: agent_error — exit code 1 &lt;boom&gt;");
    expect(body.text).toContain("Cost: $0.0123");
  });
});

describe("email channel over SMTP", () => {
  let smtp: SMTPServer;
  let port = 0;
  const mails: { from: string; to: string[]; raw: string; user: string | undefined }[] = [];
  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: false,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === "agentcron" && auth.password === "smtp-pass-123") cb(null, { user: auth.username });
        else cb(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({
            from: (session.envelope.mailFrom as { address: string }).address,
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
            user: session.user as string | undefined,
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  afterEach(() => {
    mails.length = 0;
  });

  it("sends a plain-text mail with the schedule and the failure, authenticating with the stored password", async () => {
    const schedule = await makeSchedule({ name: "weekly digest" });
    const { channel } = await createChannel(
      { name: "mail", kind: "email", config: { host: "127.0.0.1", port, username: "agentcron", password: "smtp-pass-123", from: "cron@example.test", to: ["ops@example.test", "me@example.test"] } },
      T0,
    );
    expect(channel.config).not.toHaveProperty("password");
    expect(channel.secret).toBe("smtp-pass-123");
    await enqueueFailure(channel.id, schedule.id);
    const round = await deliverDue(getDb(), "runner-a", () => T0);
    expect(round).toMatchObject({ delivered: 1 });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ from: "cron@example.test", to: ["ops@example.test", "me@example.test"], user: "agentcron" });
    const [head, ...bodyParts] = mails[0].raw.split(/\r?\n\r?\n/);
    expect(decodeMimeWords(head)).toContain('Subject: [Agentcron] Schedule "weekly digest" failed');
    expect(head).toMatch(/Content-Type: text\/plain/i);
    expect(decodeQuotedPrintable(bodyParts.join("\n\n"))).toContain("Failure: agent_error — exit code 1 <boom>");
    expect(await attemptRows()).toMatchObject([{ ok: true, responseStatus: 250 }]);
  });

  it("a refused login is a failed attempt with SMTP code 535, retried later, and the password appears nowhere in the log", async () => {
    const schedule = await makeSchedule();
    const { channel } = await createChannel(
      { name: "mail", kind: "email", config: { host: "127.0.0.1", port, username: "agentcron", password: "wrong-password-xyz", from: "cron@example.test", to: ["ops@example.test"] } },
      T0,
    );
    await enqueueFailure(channel.id, schedule.id);
    const round = await deliverDue(getDb(), "runner-a", () => T0);
    expect(round).toMatchObject({ delivered: 0, retrying: 1 });
    expect(mails).toHaveLength(0);
    const [attempt] = await attemptRows();
    expect(attempt).toMatchObject({ ok: false, responseStatus: 535 });
    expect(attempt.error).not.toContain("wrong-password-xyz");
  });
});

/** RFC 2045 quoted-printable → text (nodemailer encodes non-ASCII bodies so). */
function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?=) in folded headers → text. */
function decodeMimeWords(head: string): string {
  return head
    .replace(/\?=\r?\n\s+=\?UTF-8\?Q\?/g, "")
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/g, (_m, q: string) => decodeQuotedPrintable(q.replace(/_/g, " ")));
}
