/**
 * Cross-instance wake-ups on PostgreSQL (ADR 0014): two pools on one database stand for two
 * instances. An announcement from one reaches the other's LISTEN within a second and never
 * wakes its sender; a stopped bus hears nothing. A loop tells of its finished runs after its own
 * drain, and not when that drain filled the cap again (ADR 0014 amendment).
 */
import { afterAll, describe, expect, it } from "vitest";
import { getDb, openPgHandle, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { startWakeBus } from "@/lib/scheduler/wake-bus";
import { TestRuntime, waitFor } from "../../support/test-runtime";
import { setCap, startTestScheduler, taskById } from "../../support/scheduler-harness";
import { makeTask, T0 } from "../../factories";

const url = process.env.DATABASE_URL!;
const handles: Db[] = [];
async function instance(): Promise<Db> {
  const { db, ready } = openPgHandle(url, { poolSize: 2 });
  await ready;
  handles.push(db);
  return db;
}
afterAll(async () => {
  for (const db of handles) await closePgDatabase(db as unknown as PgDb);
});

describe("wake bus on PostgreSQL", () => {
  it("one instance's announcement wakes the others within a second, not itself", async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    const heard: Record<string, { reason: string; at: number }[]> = { a: [], b: [], c: [] };
    const buses = await Promise.all(
      (["a", "b", "c"] as const).map((name, i) =>
        startWakeBus({ db: [a, b, c][i], runnerId: `runner-${name}`, onWake: (reason) => heard[name].push({ reason, at: Date.now() }) }),
      ),
    );
    try {
      const sentAt = Date.now();
      buses[0].announce("schedule_saved");
      await waitFor(() => heard.b.length > 0 && heard.c.length > 0, "b and c to hear a", 1000);
      expect(heard.b[0]).toMatchObject({ reason: "remote:schedule_saved" });
      expect(heard.c[0].at - sentAt).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard.a).toEqual([]);

      await buses[2].stop();
      buses[1].announce("task_finished");
      await waitFor(() => heard.a.length > 0, "a to hear b", 1000);
      await new Promise((r) => setTimeout(r, 200));
      expect(heard.c).toHaveLength(1);
    } finally {
      for (const bus of buses) await bus.stop();
    }
  });

  it("a loop tells the others of a finished run after its own drain, unless that drain filled the cap again", async () => {
    await setCap(1);
    const heard: string[] = [];
    const listener = await startWakeBus({ db: await instance(), runnerId: "listener", onWake: (reason) => heard.push(reason) });
    try {
      const runtime = new TestRuntime({ hold: true });
      const { loop } = await startTestScheduler({ runtime, crossInstanceWake: true });
      const first = await makeTask({ createdAt: T0 });
      const second = await makeTask({ createdAt: T0 + 1 });
      await loop.runPass();
      await waitFor(() => runtime.runs[0]?.holding === true, "the first run to start");

      // The first run ends; the loop's own pass claims the second into the freed slot: the cap
      // is full again, so no other runner could claim anything, and none is woken.
      runtime.runs[0].release();
      await waitFor(() => runtime.runs[1]?.holding === true, "the second run to start in the freed slot");
      expect((await taskById(first.id, getDb())).status).toBe("completed");
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual([]);

      // The second run ends with nothing queued: the slot stays free, and the others hear of it.
      const sentAfter = Date.now();
      runtime.runs[1].release();
      await waitFor(() => heard.includes("remote:task_finished"), "the listener to hear task_finished", 1000);
      expect(Date.now() - sentAfter).toBeLessThan(1000);
      expect((await taskById(second.id, getDb())).status).toBe("completed");
    } finally {
      await listener.stop();
    }
  });
});
