import "server-only";
import pg from "pg";
import type { Db } from "../db/client";
import { notifyChannel, pgConnectionString, sqliteDataVersion } from "../db/queries/wake";

/**
 * Cross-instance wake-ups (issue 14 item 4, ADR 0014). The loop has no fixed poll: it sleeps
 * until its next known deadline (up to an hour). A change made through another instance —
 * a schedule saved, a Run now, a task finished and its slot freed — must reach this runner
 * within a second, or it never claims work created elsewhere.
 *
 * - PostgreSQL: `LISTEN agentcron_wake` on one dedicated connection; `announce` sends
 *   `pg_notify('agentcron_wake', '{"from":runnerId,"reason":…}')` through the pool.
 *   Notifications from this runner itself are ignored. A dropped listener reconnects every
 *   `reconnectMs` and wakes the loop once (it may have missed something).
 * - SQLite (several processes on one file): `PRAGMA data_version` on this process's
 *   connection changes exactly when another connection committed, so polling it every
 *   `pollMs` (default 250 ms) costs one in-memory read and catches every foreign write.
 *   `announce` is a no-op: the write itself is the signal.
 */
export interface WakeBus {
  /** Tells the other runners that something changed here (fire and forget, never throws). */
  announce(reason: string): void;
  /** Stops listening/polling; idempotent. */
  stop(): Promise<void>;
}

export interface WakeBusOptions {
  db: Db;
  runnerId: string;
  /** Called with the remote reason (`remote:<reason>`) when another instance changed something. */
  onWake: (reason: string) => void;
  /** SQLite: data_version poll interval in ms (default 250). */
  pollMs?: number;
  /** PostgreSQL: delay before re-connecting a dropped listener, ms (default 1000). */
  reconnectMs?: number;
  /** PostgreSQL: the database URL to LISTEN on (default: the handle's pool's URL). */
  url?: string;
}

/** The NOTIFY channel name. */
export const WAKE_CHANNEL = "agentcron_wake";

/**
 * Starts the bus for this runner. Resolves once listening (PostgreSQL: LISTEN acknowledged;
 * SQLite: the first data_version read).
 * @throws pg's connection error when the first LISTEN connection fails.
 */
export async function startWakeBus(opts: WakeBusOptions): Promise<WakeBus> {
  return opts.db.$dialect === "pg" ? startPgBus(opts) : startSqliteBus(opts);
}

function startSqliteBus(opts: WakeBusOptions): WakeBus {
  const read = () => sqliteDataVersion(opts.db);
  let seen = read();
  const timer = setInterval(() => {
    try {
      const now = read();
      if (now !== seen) {
        seen = now;
        opts.onWake("remote:db_changed");
      }
    } catch (err) {
      // The connection closed under us (shutdown): stop quietly.
      clearInterval(timer);
      console.error("[agentcron] wake bus: data_version poll stopped", err);
    }
  }, opts.pollMs ?? 250);
  timer.unref?.();
  return {
    announce() {},
    async stop() {
      clearInterval(timer);
    },
  };
}

async function startPgBus(opts: WakeBusOptions): Promise<WakeBus> {
  // The pool's own URL: the LISTEN connection goes to the database this handle writes to.
  const url = opts.url ?? pgConnectionString(opts.db);
  if (!url) throw new Error("wake bus: the PostgreSQL handle has no connection string");
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: "agentcron-wake" });
    c.on("notification", (msg) => {
      if (msg.channel !== WAKE_CHANNEL || !msg.payload) return;
      try {
        const { from, reason } = JSON.parse(msg.payload) as { from?: string; reason?: string };
        if (from !== opts.runnerId) opts.onWake(`remote:${reason ?? "change"}`);
      } catch {
        opts.onWake("remote:change");
      }
    });
    c.on("error", (err) => {
      console.error(`[agentcron] wake bus: listener lost (${err.message}); reconnecting`);
      void c.end().catch(() => {});
      if (client === c) client = null;
      scheduleReconnect();
    });
    await c.connect();
    await c.query(`LISTEN ${WAKE_CHANNEL}`);
    if (stopped) {
      await c.end();
      return;
    }
    client = c;
  };
  const scheduleReconnect = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect().then(
        // Something may have changed while nobody listened: one pass finds out.
        () => opts.onWake("remote:listener_reconnected"),
        (err: Error) => {
          console.error(`[agentcron] wake bus: reconnect failed (${err.message})`);
          scheduleReconnect();
        },
      );
    }, opts.reconnectMs ?? 1000);
    retry.unref?.();
  };

  await connect();
  return {
    announce(reason) {
      if (stopped) return;
      const payload = JSON.stringify({ from: opts.runnerId, reason });
      notifyChannel(opts.db, WAKE_CHANNEL, payload).catch((err: Error) =>
        console.error(`[agentcron] wake bus: could not announce ${reason} (${err.message})`),
      );
    },
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
