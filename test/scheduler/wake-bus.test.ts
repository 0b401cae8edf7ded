/**
 * Cross-instance wake-ups on a shared SQLite file (ADR 0014): two connections stand for two
 * processes (PRAGMA data_version is per connection, exactly as across processes). A write
 * through one wakes the other's bus within a second; its own writes don't.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase } from "@/lib/db/client";
import { recordEvent } from "@/lib/events/log";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { SchedulerLoop } from "@/lib/scheduler/loop";
import { startWakeBus } from "@/lib/scheduler/wake-bus";
import { systemClock } from "@/lib/time/clock";
import { makeTask } from "../factories";
import { TestRuntime, testResolver, waitFor } from "../support/test-runtime";
import { rowsOf } from "../support/rows";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-wake-"));
const file = path.join(dir, "shared.db");
const a = openDatabase(file);
migrateDatabase(a);
const b = openDatabase(file);
afterAll(() => {
  a.$client.close();
  b.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("wake bus on a shared SQLite file", () => {
  it("another connection's commit wakes this one within a second; this connection's own writes don't", async () => {
    const woken: { reason: string; at: number }[] = [];
    const bus = await startWakeBus({ db: b, runnerId: "runner-b", onWake: (reason) => woken.push({ reason, at: Date.now() }), pollMs: 100 });
    try {
      await recordEvent(b, { kind: "settings_changed", message: "own write", createdAt: Date.now() });
      await new Promise((r) => setTimeout(r, 400));
      expect(woken).toEqual([]);

      const wroteAt = Date.now();
      await recordEvent(a, { kind: "settings_changed", message: "foreign write", createdAt: wroteAt });
      await waitFor(() => woken.length > 0, "the bus to see the foreign commit", 1000);
      expect(woken[0].reason).toBe("remote:db_changed");
      expect(woken[0].at - wroteAt).toBeLessThan(1000);
    } finally {
      await bus.stop();
    }
  });

  it("an idle loop claims a task another instance queued, within a second", async () => {
    const runtime = new TestRuntime({ turns: 1 });
    const runnerId = await registerRunner(b, Date.now());
    const loop = new SchedulerLoop({ db: b, clock: systemClock, runnerId, resolveRuntime: testResolver(runtime) });
    await loop.start();
    try {
      // The loop is armed for its max sleep: nothing is due.
      const task = await makeTask({ status: "queued", createdAt: Date.now() }, a);
      const queuedAt = Date.now();
      await waitFor(async () => (await rowsOf("tasks", a)).find((t) => t.id === task.id)?.status === "completed", "the other instance's task to run", 3000);
      const row = (await rowsOf("tasks", a)).find((t) => t.id === task.id)!;
      expect(row.runnerId).toBe(runnerId);
      expect(row.slotClaimedAt! - queuedAt).toBeLessThan(1000);
    } finally {
      await loop.stop();
    }
  });
});
