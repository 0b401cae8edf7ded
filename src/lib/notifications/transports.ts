import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import nodemailer from "nodemailer";
import type { NotificationChannelRow } from "../db/schema";
import { describeNotification, type NotificationPayload } from "./payload";

/**
 * The three channel kinds' senders (issue 11 item 1; docs/notifications.md). Each resolves
 * with a SendResult and never throws; error texts name what failed, never a secret or a
 * Slack URL (which is itself a credential).
 */

/** What one send attempt did. */
export interface SendResult {
  ok: boolean;
  /** HTTP status (webhook, slack) or the SMTP reply code (email), when one came back. */
  responseStatus: number | null;
  /** Why it failed, for the attempt log (≤ 500 chars). */
  error: string | null;
}

/** Per-request time limit, ms. */
export const SEND_TIMEOUT_MS = 10_000;

/**
 * The webhook signature header value: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`
 * (API.md v2 "Webhook delivery").
 * @param timestampSec unix seconds, the X-Agentcron-Timestamp header.
 */
export function signWebhook(secret: string, timestampSec: number, rawBody: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestampSec}.${rawBody}`).digest("hex")}`;
}

/**
 * A receiver's check (docs/notifications.md shows the same in a few lines): the signature
 * matches in constant time and the timestamp is within `toleranceSec` (default 300) of `nowSec`.
 */
export function verifyWebhookSignature(opts: { secret: string; signature: string | null; timestamp: string | null; rawBody: string; nowSec: number; toleranceSec?: number }): boolean {
  if (!opts.signature || !opts.timestamp || !/^\d+$/.test(opts.timestamp)) return false;
  const ts = Number(opts.timestamp);
  if (Math.abs(opts.nowSec - ts) > (opts.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(opts.secret, ts, opts.rawBody));
  const given = Buffer.from(opts.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The body, headers and signature of one webhook attempt. */
export function webhookRequest(secret: string, deliveryId: string, payload: NotificationPayload, nowMs: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(nowMs / 1000);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "Agentcron-Webhook/1",
      "x-agentcron-delivery": deliveryId,
      "x-agentcron-timestamp": String(timestamp),
      "x-agentcron-signature": signWebhook(secret, timestamp, body),
    },
  };
}

/** The Slack-compatible incoming-webhook message: `{text}` (Slack, Mattermost, Discord's `/slack` endpoint all take it). */
export function slackMessage(payload: NotificationPayload): { text: string; username: string } {
  const { title, lines } = describeNotification(payload);
  return { username: "Agentcron", text: [`*${escapeSlack(title)}*`, ...lines.map(escapeSlack)].join("\n").slice(0, 3900) };
}

/** Slack's three control characters (its message formatting docs). */
function escapeSlack(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The email subject and plain-text body. */
export function emailMessage(payload: NotificationPayload): { subject: string; text: string } {
  const { title, lines } = describeNotification(payload);
  return { subject: `[Agentcron] ${title}`.slice(0, 250), text: `${lines.join("\n")}\n\nEvent ${payload.id} at ${payload.occurredAt}\n` };
}

async function postJson(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
  try {
    const res = await fetch(url, { method: "POST", body, headers, redirect: "manual", signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
    // Drain the body so the connection is released; its content is not kept (it may echo secrets).
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true, responseStatus: res.status, error: null } : { ok: false, responseStatus: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, responseStatus: null, error: networkError(err) };
  }
}

/** A fetch/SMTP failure in words, without the URL (a Slack URL is a credential). */
function networkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return `timed out after ${SEND_TIMEOUT_MS / 1000} s`;
  const code = e?.cause?.code ?? e?.code;
  const message = e?.cause?.message ?? e?.message ?? String(err);
  return (code ? `${code}: ${message}` : message).replace(/https?:\/\/\S+/g, "<url>").slice(0, 500);
}

/** Email config as stored (the password is the channel's secret). */
export interface EmailConfig {
  host: string;
  port: number;
  secure: boolean;
  username?: string;
  from: string;
  to: string[];
}

async function sendEmail(config: EmailConfig, password: string | null, payload: NotificationPayload): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.username ? { user: config.username, pass: password ?? "" } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  const { subject, text } = emailMessage(payload);
  try {
    const info = await transport.sendMail({ from: config.from, to: config.to, subject, text, headers: { "X-Agentcron-Event": payload.id } });
    const code = Number(/^(\d{3})/.exec(info.response ?? "")?.[1] ?? 250);
    return { ok: true, responseStatus: code, error: null };
  } catch (err) {
    const e = err as { responseCode?: number };
    return { ok: false, responseStatus: e.responseCode ?? null, error: networkError(err) };
  } finally {
    transport.close();
  }
}

/**
 * Sends one delivery over its channel. `deliveryId` is the X-Agentcron-Delivery header (the
 * same on every retry); `nowMs` stamps X-Agentcron-Timestamp.
 */
export async function sendToChannel(channel: NotificationChannelRow, deliveryId: string, payload: NotificationPayload, nowMs: number): Promise<SendResult> {
  const config = channel.config as Record<string, unknown>;
  switch (channel.kind) {
    case "webhook": {
      if (!channel.secret) return { ok: false, responseStatus: null, error: "the channel has no signing secret" };
      const req = webhookRequest(channel.secret, deliveryId, payload, nowMs);
      return postJson(String(config.url), req.body, req.headers);
    }
    case "slack":
      return postJson(String(config.url), JSON.stringify(slackMessage(payload)), { "content-type": "application/json", "user-agent": "Agentcron-Webhook/1" });
    case "email":
      return sendEmail(config as unknown as EmailConfig, channel.secret, payload);
    default:
      return { ok: false, responseStatus: null, error: `unknown channel kind ${String(channel.kind)}` };
  }
}
