import "server-only";
import type { Db } from "../db/client";
import { withTransaction } from "../db/client";
import { claimDueDeliveries, recordAttempt, selectNextDeliveryDueAt, type ClaimedDelivery } from "../db/queries/notifications";
import type { Clock } from "../time/clock";
import type { NotificationPayload } from "./payload";
import { sendToChannel, type SendResult } from "./transports";

/**
 * The outbox sender (issue 11 item 1, ADR 0021). Claims due deliveries with a lease
 * (queries/notifications.ts claimDueDeliveries: FOR UPDATE SKIP LOCKED on PostgreSQL, the
 * single writer on SQLite), sends them outside any transaction, and records every attempt
 * (ok, response code, error) guarded by the lease. A failed send is retried with exponential
 * backoff (DELIVERY_BACKOFF_MS) up to MAX_DELIVERY_ATTEMPTS, then marked `failed`.
 *
 * Exactly once across a crash between the cause and the send: the outbox row committed with
 * the cause and stays `pending` until a sender claims it after restart. A crash DURING a send
 * (after the receiver got it, before the attempt was recorded) re-sends once the lease
 * expires: receivers dedupe by X-Agentcron-Delivery (docs/notifications.md).
 */

/** Wait before attempt n+1 after n failed attempts, ms (the last value repeats): 10 s, 30 s, 2 m, 10 m, 30 m, 1 h, 2 h. */
export const DELIVERY_BACKOFF_MS: readonly number[] = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000];
/** Attempts before a delivery is given up (`failed`): about 4 h 20 m of retrying. */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** How long a claim holds a delivery, ms: longer than a send can take (SEND_TIMEOUT_MS ×  a few). */
export const DELIVERY_LEASE_MS = 60_000;
/** Deliveries claimed (and sent concurrently) per round. */
export const DELIVERY_BATCH = 20;

/** Backoff after `failedAttempts` failed attempts, ms. */
export function deliveryBackoffMs(failedAttempts: number): number {
  return DELIVERY_BACKOFF_MS[Math.min(Math.max(failedAttempts, 1), DELIVERY_BACKOFF_MS.length) - 1];
}

/** Sends one claimed delivery (default: transports.ts sendToChannel). Tests never replace it: they run local receivers. */
export type Send = (claimed: ClaimedDelivery, nowMs: number) => Promise<SendResult>;

const defaultSend: Send = (c, nowMs) => sendToChannel(c.channel, c.delivery.id, c.event.payload as unknown as NotificationPayload, nowMs);

/** What one round did. */
export interface DeliveryRound {
  claimed: number;
  delivered: number;
  retrying: number;
  failed: number;
  /** Attempts whose lease another sender took over meanwhile (nothing recorded). */
  lost: number;
}

/**
 * One round: claim up to `limit` due deliveries as `owner`, send them concurrently, record
 * each attempt. `now()` is read at the claim and at each attempt's end (UTC ms).
 */
export async function deliverDue(db: Db, owner: string, now: () => number, opts: { limit?: number; send?: Send } = {}): Promise<DeliveryRound> {
  const at = now();
  // A read first: most passes have nothing due, and a claim is a write transaction.
  const due = await selectNextDeliveryDueAt(db);
  if (due == null || due > at) return { claimed: 0, delivered: 0, retrying: 0, failed: 0, lost: 0 };
  const claimed = await withTransaction(db, (tx) => claimDueDeliveries(tx, owner, at, at + DELIVERY_LEASE_MS, opts.limit ?? DELIVERY_BATCH));
  const round: DeliveryRound = { claimed: claimed.length, delivered: 0, retrying: 0, failed: 0, lost: 0 };
  const send = opts.send ?? defaultSend;
  await Promise.all(
    claimed.map(async (c) => {
      const startedAt = now();
      let result: SendResult;
      try {
        result = await send(c, startedAt);
      } catch (err) {
        result = { ok: false, responseStatus: null, error: (err as Error)?.message?.slice(0, 500) ?? "send failed" };
      }
      const end = now();
      const attempt = c.delivery.attempts;
      const status = result.ok ? "delivered" : attempt >= MAX_DELIVERY_ATTEMPTS ? "failed" : "pending";
      const written = await recordAttempt(db, {
        deliveryId: c.delivery.id,
        owner,
        attempt,
        ok: result.ok,
        responseStatus: result.responseStatus,
        error: result.error,
        startedAt,
        durationMs: Math.max(0, end - startedAt),
        status,
        nextAttemptAt: status === "pending" ? end + deliveryBackoffMs(attempt) : null,
        now: end,
      });
      if (!written) {
        round.lost += 1;
        return;
      }
      if (status === "delivered") round.delivered += 1;
      else if (status === "failed") round.failed += 1;
      else round.retrying += 1;
      if (!result.ok) console.warn(`[agentcron] notification ${c.delivery.id} (${c.channel.kind} channel ${c.channel.id}) attempt ${attempt} failed: ${result.error}`);
    }),
  );
  return round;
}

export interface NotificationSenderOptions {
  db: Db;
  clock: Clock;
  /** The lease owner: this runner's id. */
  owner: string;
  /** Arm a timer for the next retry / lease expiry (default true; hand-driven tests pass false and call drain()). */
  timers?: boolean;
  send?: Send;
}

/**
 * One process's sender. The scheduler loop kicks it at the end of every pass (a cause was
 * committed in or before the pass: a task finished, occurrences planned) and routes poke the
 * loop after enqueuing (Send test). Between kicks it sleeps until the next retry or lease
 * expiry. Rounds never overlap in one process; a kick during a round asks for another.
 */
export class NotificationSender {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly timers: boolean;

  constructor(private readonly opts: NotificationSenderOptions) {
    this.timers = opts.timers ?? true;
  }

  /** Sends what is due, in the background (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Kicks and resolves when no round is running any more (tests, shutdown). */
  async drain(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  /** Stops timers; a round in flight finishes (its attempts are recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private async loop(): Promise<void> {
    const { db, clock, owner, send } = this.opts;
    try {
      do {
        this.again = false;
        const round = await deliverDue(db, owner, () => clock.now(), { send });
        if (round.claimed >= DELIVERY_BATCH) this.again = true;
        if (!this.again) await this.arm();
      } while (this.again && !this.stopped);
    } catch (err) {
      console.error(`[agentcron] notification sender ${owner}: round failed`, err);
      this.armAt(clock.now() + DELIVERY_BACKOFF_MS[0]);
    }
  }

  private async arm(): Promise<void> {
    const next = await selectNextDeliveryDueAt(this.opts.db);
    if (next != null) this.armAt(next);
  }

  private armAt(at: number): void {
    if (!this.timers || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.min(Math.max(0, at - this.opts.clock.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delay);
    this.timer.unref?.();
  }
}
