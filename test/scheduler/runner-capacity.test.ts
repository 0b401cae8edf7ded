/**
 * A runner's capacity (AGENTCRON_RUNNER_CAPACITY, issue 14 item 4) on top of the global cap:
 * a claim for a runner already running `capacity` tasks stays queued, while another runner
 * still claims under the global cap; a forced claim (Run now ?force) skips both.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb } from "@/lib/db/client";
import { claimSlot } from "@/lib/scheduler/slot-claim";
import { makeTask, T0, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";

beforeEach(async () => truncateAll());
afterEach(() => vi.unstubAllEnvs());

const claim = (taskId: string, runnerId: string, extra: { runnerCapacity?: number; force?: boolean } = {}) =>
  claimSlot(getDb(), { taskId, runnerId, now: T0, cap: 10, defaultLeaseSec: 600, ...extra });

describe("runner capacity", () => {
  it("stops one runner at its capacity while another claims under the global cap", async () => {
    const ids = (await Promise.all(Array.from({ length: 6 }, (_, i) => makeTask({ status: "queued", createdAt: T0 + i })))).map((t) => t.id);
    expect(await claim(ids[0], "runner-a", { runnerCapacity: 2 })).toBe(true);
    expect(await claim(ids[1], "runner-a", { runnerCapacity: 2 })).toBe(true);
    expect(await claim(ids[2], "runner-a", { runnerCapacity: 2 })).toBe(false);
    expect(await claim(ids[2], "runner-b", { runnerCapacity: 2 })).toBe(true);
    expect(await claim(ids[3], "runner-a", { runnerCapacity: 2, force: true })).toBe(true);
    const running = (await rowsOf("tasks")).filter((t) => t.status === "running");
    expect(running.filter((t) => t.runnerId === "runner-a").map((t) => t.id).sort()).toEqual([ids[0], ids[1], ids[3]].sort());
    expect((await rowsOf("tasks")).find((t) => t.id === ids[4])!.status).toBe("queued");
  });

  it("defaults to this process's AGENTCRON_RUNNER_CAPACITY, and to the global cap when unset", async () => {
    const ids = (await Promise.all(Array.from({ length: 4 }, (_, i) => makeTask({ status: "queued", createdAt: T0 + i })))).map((t) => t.id);
    vi.stubEnv("AGENTCRON_RUNNER_CAPACITY", "1");
    expect(await claim(ids[0], "runner-a")).toBe(true);
    expect(await claim(ids[1], "runner-a")).toBe(false);
    vi.unstubAllEnvs();
    expect(await claim(ids[1], "runner-a")).toBe(true);
    expect(await claim(ids[2], "runner-a")).toBe(true);
  });
});
