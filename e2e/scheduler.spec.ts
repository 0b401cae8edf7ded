/**
 * The scheduler in the production server (`next start`) with real `command` runtimes:
 * a per-second schedule fires by itself and records metrics; Run now honours the cap
 * (202, then 429 with an ETA), cancel stops the agent's process, and the freed slot
 * takes the next Run now.
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/wait";

/** Live processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(marker) && !l.includes("ps -eo"));
}

describe("scheduler in the production server", () => {
  let server: TestServer;
  const marker = `agentcron-e2e-sleeper-${randomUUID()}`;
  let quickRuntime: string;
  let sleeperRuntime: string;

  beforeAll(async () => {
    server = await startServer({ env: { SCHEDULE_MAX_CONCURRENT: "1" } });
    const quick = await server.api("/api/runtimes", {
      method: "POST",
      json: { name: "quick", kind: "command", config: { command: [process.execPath, "-e", "process.stdin.resume();process.stdin.on('end',()=>console.log('done'))"] } },
    });
    expect(quick.status).toBe(201);
    quickRuntime = quick.data.runtime.id;
    const sleeper = await server.api("/api/runtimes", {
      method: "POST",
      json: { name: "sleeper", kind: "command", config: { command: [process.execPath, "-e", `setTimeout(()=>{}, 600000) // ${marker}`] } },
    });
    expect(sleeper.status).toBe(201);
    sleeperRuntime = sleeper.data.runtime.id;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("a per-second schedule fires on its own, one task per occurrence, with firing metrics", async () => {
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "every second", prompt: "tick", cronExpression: "* * * * * *", runtimeId: quickRuntime, maxFirings: 3 },
    });
    expect(created.status).toBe(201);
    const id = created.data.schedule.id;
    const tasks = await waitFor(
      async () => (await server.api(`/api/schedules/${id}/tasks`)).data.tasks,
      (all) => all.filter((t: { status: string }) => t.status === "completed").length === 3,
      30_000,
      "three completed firings",
    );
    const planned = tasks.map((t: { plannedAt: string }) => t.plannedAt);
    expect(new Set(planned).size).toBe(planned.length);
    expect((await server.api(`/api/schedules/${id}`)).data.schedule.status).toBe("completed");
    const metrics = await server.api(`/api/schedules/${id}/metrics`);
    expect(metrics.data.metrics.length).toBeGreaterThanOrEqual(3);
    expect(metrics.data.metrics[0]).toMatchObject({ durationMs: expect.any(Number), latenessMs: expect.any(Number), peakRssMb: expect.any(Number) });
  });

  it("reports its quiet-window collections, its executor host's included (ADR 0035)", async () => {
    // (The flags themselves: test/scheduler/quiet-collection.test.ts runs the launcher; Next.js
    // renames its process, so /proc/<pid>/cmdline no longer shows them here.)
    const status = await server.api("/api/scheduler/status");
    expect(status.data.quietCollections).toMatchObject({
      enabled: true,
      main: { collections: expect.any(Number), pauseMsMean: expect.any(Number), pauseMsMax: expect.any(Number) },
    });
    // The executor host started at boot (its thread runs the agents): its counts are there too.
    expect(status.data.quietCollections.host).toMatchObject({ collections: expect.any(Number) });
  });

  it("Run now at cap 1: 202, then 429 with an ETA; cancel kills the agent process and frees the slot", async () => {
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "sleeper", prompt: "sleep", cronExpression: "0 0 1 1 *", runtimeId: sleeperRuntime, maxRunDurationSec: 300 },
    });
    const id = created.data.schedule.id;
    const first = await server.api(`/api/schedules/${id}/execute`, { method: "POST" });
    expect(first.status).toBe(202);
    await waitFor(async () => processesWith(marker), (found) => found.length > 0, 10_000, "the agent process");
    const full = await server.api(`/api/schedules/${id}/execute`, { method: "POST" });
    expect(full.status).toBe(429);
    expect(full.data).toMatchObject({ error: "capacity_full", slotEtaSec: expect.any(Number) });
    expect(full.data.slotEtaSec).toBeGreaterThan(0);
    expect(full.data.slotEtaSec).toBeLessThanOrEqual(300);
    const status = await server.api("/api/scheduler/status");
    // The production server runs the agent in its executor host's worker thread (ADR 0022).
    expect(status.data).toMatchObject({ maxConcurrent: 1, running: 1, executor: { mode: "thread", hostRuns: 1 } });

    const cancelled = await server.api(`/api/tasks/${first.data.taskId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe(200);
    expect(cancelled.data.task).toMatchObject({ status: "cancelled" });
    await waitFor(async () => processesWith(marker), (found) => found.length === 0, 10_000, "the agent process to be gone");
    expect((await server.api(`/api/tasks/${first.data.taskId}/cancel`, { method: "POST" })).status).toBe(409);

    const again = await server.api(`/api/schedules/${id}/execute`, { method: "POST" });
    expect(again.status).toBe(202);
    expect((await server.api(`/api/tasks/${again.data.taskId}/cancel`, { method: "POST" })).status).toBe(200);
  });
});
