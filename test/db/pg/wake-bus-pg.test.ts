/**
 * Cross-instance wake-ups on PostgreSQL (ADR 0014): two pools on one database stand for two
 * instances. An announcement from one reaches the other's LISTEN within a second and never
 * wakes its sender; a stopped bus hears nothing.
 */
import { afterAll, describe, expect, it } from "vitest";
import { openPgHandle, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { startWakeBus } from "@/lib/scheduler/wake-bus";
import { waitFor } from "../../support/test-runtime";

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
});
