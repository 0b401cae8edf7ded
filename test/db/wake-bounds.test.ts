/**
 * The loop's wake bounds in one statement (queries/planning.ts selectWakeBounds), on whichever
 * dialect the suite runs: the earliest retry backoff end after now, the earliest lease expiry of
 * THIS runner's running tasks, the earliest self-resume of a paused schedule — null when none.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { selectWakeBounds } from "@/lib/db/queries/planning";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";

beforeEach(async () => truncateAll());

describe("selectWakeBounds", () => {
  it("is all null on an empty database", async () => {
    expect(await selectWakeBounds(getDb(), T0, "r1")).toEqual({ notBefore: null, leaseExpiry: null, pausedUntil: null });
  });

  it("takes the earliest of each bound, and only what the bound is about", async () => {
    const s = await makeSchedule();
    await makeTask({ scheduleId: s.id, status: "queued", notBefore: T0 + 9_000 });
    await makeTask({ scheduleId: s.id, status: "queued", notBefore: T0 + 5_000 });
    await makeTask({ scheduleId: s.id, status: "queued", notBefore: T0 - 1_000 }); // already due: not a future bound
    await makeTask({ scheduleId: s.id, status: "running", runnerId: "r1", leaseExpiresAt: T0 + 60_000 });
    await makeTask({ scheduleId: s.id, status: "running", runnerId: "r1", leaseExpiresAt: T0 + 30_000 });
    await makeTask({ scheduleId: s.id, status: "running", runnerId: "r2", leaseExpiresAt: T0 + 1_000 }); // another runner's
    await makeSchedule({ status: "paused", pausedUntil: T0 + 7_200_000 });
    await makeSchedule({ status: "paused", pausedUntil: T0 + 3_600_000 });
    await makeSchedule({ status: "paused", pausedUntil: null }); // paused until resumed by hand
    expect(await selectWakeBounds(getDb(), T0, "r1")).toEqual({ notBefore: T0 + 5_000, leaseExpiry: T0 + 30_000, pausedUntil: T0 + 3_600_000 });
    expect((await selectWakeBounds(getDb(), T0, "r2")).leaseExpiry).toBe(T0 + 1_000);
    expect((await selectWakeBounds(getDb(), T0 + 5_000, "r3")).notBefore).toBe(T0 + 9_000);
  });
});
