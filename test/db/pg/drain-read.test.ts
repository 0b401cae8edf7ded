/**
 * The PostgreSQL drain's read (ADR 0023): one statement returns the running count and the
 * candidates, its limit computed in SQL from that count (`pgDrainLimit`: 0 when the cap is
 * full, else min(batch, max(slack, 4 × free))); and the batch claim returns the count it saw
 * under the lock, which the drain numbers `concurrentAtClaim` from.
 */
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { pgDrainLimit, selectPgDrainBatch } from "@/lib/db/queries/slots";
import { getSettings } from "@/lib/config/settings";
import { drainQueue } from "@/lib/scheduler/drain";
import { makeTask, T0 } from "../../factories";

const CAP = 20;
const read = () => selectPgDrainBatch(getDb(), { now: T0, cap: CAP, batch: 200, slack: 16 });

describe("the PostgreSQL drain's read and count", () => {
  it("sizes the candidate read from the running count of the same statement, and returns nothing at the cap", async () => {
    expect([pgDrainLimit(0, 200, 16), pgDrainLimit(-3, 200, 16), pgDrainLimit(2, 200, 16), pgDrainLimit(10, 200, 16), pgDrainLimit(80, 200, 16)]).toEqual([0, 0, 16, 40, 200]);
    for (let i = 0; i < 120; i++) await makeTask({ createdAt: T0 + i, status: i < 18 ? "running" : "queued", startedAt: i < 18 ? T0 : null });
    let r = await read();
    expect(r.running).toBe(18);
    expect(r.candidates).toHaveLength(16); // free 2 → max(16, 8)
    expect(r.candidates[0].task.createdAt).toBe(T0 + 18); // FIFO
    const settings = { ...(await getSettings(getDb())), maxConcurrent: CAP };
    const res = await drainQueue({ db: getDb(), now: T0 + 1, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] });
    expect(res.claimed.map((c) => c.concurrentAtClaim)).toEqual([19, 20]);
    r = await read();
    expect(r).toEqual({ running: null, candidates: [] });
    expect((await drainQueue({ db: getDb(), now: T0 + 2, runnerId: "r1", settings, chatStreams: 0, runnerLabels: [] })).claimed).toEqual([]);
  });
});
