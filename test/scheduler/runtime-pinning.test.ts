/**
 * Runtime pinning to runner labels (issue 14 item 4): a runtime whose config names
 * `runnerLabels` is claimed only by a runner having every one of them (AGENTCRON_RUNNER_LABELS),
 * through the drain and through a single claim (Run now, forced too); a task on the default
 * runtime (runtimeId null) follows the default's pinning; another runner's pinned work never
 * fills a runner's drain batch. Runs on both dialects (test/setup.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { getSettings } from "@/lib/config/settings";
import { drainQueue } from "@/lib/scheduler/drain";
import { claimSlot } from "@/lib/scheduler/slot-claim";
import { makeRunner, makeRuntime, makeTask, T0, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";

beforeEach(async () => truncateAll());
afterEach(() => vi.unstubAllEnvs());

const command = { command: ["echo", "{prompt}"], promptVia: "arg", outputFormat: "text" };

async function drain(runnerId: string, runnerLabels: string[], cap = 10) {
  const settings = { ...(await getSettings(getDb())), maxConcurrent: cap };
  return drainQueue({ db: getDb(), now: T0, runnerId, settings, chatStreams: 0, runnerLabels });
}

async function runnerOf(): Promise<Record<string, string | null>> {
  return Object.fromEntries((await rowsOf("tasks")).map((t) => [t.title, t.status === "running" ? t.runnerId : null]));
}

describe("runtime pinning to runner labels", () => {
  it("tasks of a pinned runtime are claimed only by the runner with every label; the other runner takes the rest", async () => {
    const gpu = await makeRuntime({ config: { ...command, runnerLabels: ["gpu", "repo-foo"] } });
    const anywhere = await makeRuntime({ config: command });
    // FIFO head: three pinned tasks, then two tasks any runner may run.
    for (let i = 0; i < 3; i++) await makeTask({ title: `gpu${i}`, runtimeId: gpu.id, createdAt: T0 + i });
    for (let i = 0; i < 2; i++) await makeTask({ title: `any${i}`, runtimeId: anywhere.id, createdAt: T0 + 10 + i });

    // A runner with only one of the two labels is not eligible: it skips the pinned head.
    const plain = await drain("runner-plain", ["gpu"]);
    expect(plain.claimed.map((c) => c.task.title)).toEqual(["any0", "any1"]);
    const labelled = await drain("runner-gpu", ["repo-foo", "gpu", "other"]);
    expect(labelled.claimed.map((c) => c.task.title)).toEqual(["gpu0", "gpu1", "gpu2"]);
    expect(await runnerOf()).toEqual({ gpu0: "runner-gpu", gpu1: "runner-gpu", gpu2: "runner-gpu", any0: "runner-plain", any1: "runner-plain" });
  });

  it("a single claim (Run now) refuses a pinned task on an unlabelled runner, forced or not; labels default to AGENTCRON_RUNNER_LABELS", async () => {
    const gpu = await makeRuntime({ config: { ...command, runnerLabels: ["gpu"] } });
    const t = await makeTask({ runtimeId: gpu.id });
    const claim = (runnerId: string, extra: { force?: boolean; runnerLabels?: string[] } = {}) =>
      claimSlot(getDb(), { taskId: t.id, runnerId, now: T0, cap: 10, defaultLeaseSec: 600, ...extra });
    expect(await claim("a", { runnerLabels: [] })).toBe(false);
    expect(await claim("a", { runnerLabels: ["cpu"], force: true })).toBe(false);
    vi.stubEnv("AGENTCRON_RUNNER_LABELS", "cpu, big");
    expect(await claim("a")).toBe(false);
    vi.stubEnv("AGENTCRON_RUNNER_LABELS", "big,gpu");
    expect(await claim("b")).toBe(true);
    expect((await rowsOf("tasks"))[0]).toMatchObject({ status: "running", runnerId: "b" });
  });

  it("a task without its own runtime follows the default runtime's pinning (resolved at claim time)", async () => {
    const def = await makeRuntime({ isDefault: true, config: { ...command, runnerLabels: ["gpu"] } });
    await makeTask({ title: "on-default", runtimeId: null });
    expect((await drain("plain", [])).claimed).toHaveLength(0);
    expect((await drain("gpu", ["gpu"])).claimed.map((c) => c.task.title)).toEqual(["on-default"]);
    // The default moves to an unpinned runtime: the default's tasks are anyone's again.
    await makeTask({ title: "later", runtimeId: null, createdAt: T0 + 1 });
    const { runtimes } = tablesOf(getDb());
    await run(getDb(), getDb().update(runtimes).set({ isDefault: false }).where(eq(runtimes.id, def.id)));
    await makeRuntime({ isDefault: true, config: command });
    expect((await drain("plain", [])).claimed.map((c) => c.task.title)).toEqual(["later"]);
  });

  it("a pinned backlog of another runner does not fill this runner's batch (it still reaches its own work)", async () => {
    const gpu = await makeRuntime({ config: { ...command, runnerLabels: ["gpu"] } });
    // More pinned tasks than one drain batch (DRAIN_BATCH = 200), all ahead of the plain one.
    const { tasks } = tablesOf(getDb());
    const rows = Array.from({ length: 250 }, (_, i) => ({
      id: `pinned-${i}`, title: `pinned-${i}`, prompt: "p", status: "queued" as const, sourceType: "manual" as const, rootSourceType: "manual" as const,
      runtimeId: gpu.id, maxTurns: 1, maxAttempts: 1, createdAt: T0 + i,
    }));
    await run(getDb(), getDb().insert(tasks).values(rows));
    await makeTask({ title: "mine", createdAt: T0 + 1000 });
    expect((await drain("plain", [])).claimed.map((c) => c.task.title)).toEqual(["mine"]);
  });
});

describe("GET /api/runtimes: which runners can run each runtime", () => {
  it("lists the live runners whose labels fit; a pinned runtime with none is shown as such; config fields are validated", async () => {
    const { GET: list, POST: create } = await import("@/app/api/runtimes/route");
    const { callRoute } = await import("../http");
    const now = Date.now();
    await makeRunner({ id: "web-1", hostname: "laptop", labels: [], heartbeatAt: now });
    await makeRunner({ id: "gpu-1", hostname: "gpu-box", kind: "worker", labels: ["gpu", "repo-foo"], heartbeatAt: now });
    // Has the labels but is stopped / silent: not eligible.
    await makeRunner({ id: "gpu-old", hostname: "old-gpu", labels: ["gpu", "repo-foo", "cuda"], heartbeatAt: now, stoppedAt: now });
    await makeRunner({ id: "gpu-silent", hostname: "silent", labels: ["gpu", "repo-foo", "cuda"], heartbeatAt: now - 60_000 });
    const post = (name: string, extra: Record<string, unknown>) => callRoute(create, "/api/runtimes", { method: "POST", json: { name, kind: "command", config: { command: ["echo", "{prompt}"], promptVia: "arg", ...extra } } });
    expect((await post("anywhere", {})).status).toBe(201);
    expect((await post("gpu", { runnerLabels: ["gpu"], maxConcurrent: 1 })).status).toBe(201);
    expect((await post("cuda", { runnerLabels: ["gpu", "cuda"] })).status).toBe(201);
    const bad = await post("bad", { runnerLabels: ["has space"], maxConcurrent: 0 });
    expect(bad.status).toBe(400);
    expect(Object.keys((bad.data as { fields: Record<string, string> }).fields).sort()).toEqual(["config.maxConcurrent", "config.runnerLabels.0"]);

    const res = await callRoute(list, "/api/runtimes");
    const byName = Object.fromEntries((res.data as { runtimes: { name: string; eligibleRunners: { id: string }[] }[] }).runtimes.map((r) => [r.name, r.eligibleRunners.map((e) => e.id).sort()]));
    expect(byName).toEqual({ anywhere: ["gpu-1", "web-1"], gpu: ["gpu-1"], cuda: [] });
  });
});
