import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { scheduleFiringMetrics } from "@/lib/db/schema";
import { makeSchedule, T0, truncateAll } from "../factories";
import { setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(() => truncateAll());
afterEach(() => stopTestSchedulers());

const MIN = 60_000;

describe("retries", () => {
  it("a retry's lateness is measured from its own due time (notBefore), not the original occurrence", async () => {
    setCap(1);
    const sched = makeSchedule({ cronExpression: "*/5 * * * *", maxAttempts: 2 });
    const s = await startTestScheduler();
    s.runtime.setScript((_input, index) => (index === 0 ? { outcome: "error", failureReason: "network" } : {}));
    s.clock.set(T0 + 5 * MIN);
    s.loop.runPass();
    await waitFor(() => tasksOf(sched.id).some((t) => t.sourceType === "retry"), "retry queued");
    const retry = tasksOf(sched.id).find((t) => t.sourceType === "retry")!;
    expect(retry.notBefore).toBe(T0 + 5 * MIN + 60_000);

    // The retry starts 7 s after it became due.
    s.clock.set(retry.notBefore! + 7_000);
    s.loop.runPass();
    await waitFor(() => taskById(retry.id).status === "completed", "retry completed");
    const metric = getDb().select().from(scheduleFiringMetrics).where(eq(scheduleFiringMetrics.taskId, retry.id)).get()!;
    expect(metric).toMatchObject({ plannedAt: T0 + 5 * MIN, latenessMs: 7_000, slotWaitMs: 7_000 });
  });
});
