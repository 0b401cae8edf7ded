/**
 * `npm run worker` as a real process on this test file's database (the SQLite file in
 * AGENTCRON_DATA_DIR, or the PostgreSQL database in DATABASE_URL): it answers only GET
 * /api/health, registers as a `worker` runner with its capacity and labels (GET
 * /api/runners), claims and runs a task another instance queued, and stops cleanly on SIGINT.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GET as listRunnersRoute } from "@/app/api/runners/route";
import { getDb } from "@/lib/db/client";
import { startWakeBus } from "@/lib/scheduler/wake-bus";
import { makeRuntime, makeTask } from "./factories";
import { callRoute } from "./http";
import { rowsOf } from "./support/rows";
import { waitFor } from "./support/test-runtime";

const ROOT = path.resolve(__dirname, "..");
let worker: ChildProcess | null = null;
let output = "";
afterAll(() => {
  worker?.kill("SIGKILL");
});

describe("npm run worker", () => {
  it("serves health only, lists itself with its profile, runs queued work, stops on SIGINT", async () => {
    await makeRuntime({ isDefault: true });
    // package.json's own `worker` command, spawned without npm in between, so SIGINT reaches the worker itself.
    const [command, ...args] = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { worker: string } }).scripts.worker.split(" ");
    worker = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, AGENTCRON_WORKER_PORT: "0", AGENTCRON_RUNNER_CAPACITY: "2", AGENTCRON_RUNNER_LABELS: "gpu, repo-foo,gpu" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    worker.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    await waitFor(() => /booted as runner_/.test(output), `the worker to boot:\n${output}`, 90_000);
    const base = output.match(/worker health on (http:\/\/127\.0\.0\.1:\d+)/)![1];

    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    const { runnerId } = (await health.json()) as { runnerId: string };
    expect((await fetch(`${base}/api/schedules`)).status).toBe(404);
    const post = await fetch(`${base}/api/health`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");

    const runners = await callRoute(listRunnersRoute, "/api/runners");
    expect(runners.status).toBe(200);
    expect(runners.data.runners).toContainEqual(
      expect.objectContaining({ id: runnerId, kind: "worker", capacity: 2, labels: ["gpu", "repo-foo"], running: 0, stoppedAt: null, alive: true }),
    );

    // Queued by "another instance" (this process), which announces it as a web instance's Run now
    // does (ADR 0014: NOTIFY on PostgreSQL; on SQLite the commit itself wakes the worker).
    // The worker's loop sleeps until woken.
    const bus = await startWakeBus({ db: getDb(), runnerId: "test-web-instance", onWake: () => {} });
    const task = await makeTask({ status: "queued", prompt: "from the web instance", createdAt: Date.now() });
    bus.announce("manual_run");
    await bus.stop();
    await waitFor(async () => (await rowsOf("tasks")).find((t) => t.id === task.id)?.status === "completed", "the worker to run the task", 10_000);
    expect((await rowsOf("tasks")).find((t) => t.id === task.id)).toMatchObject({ runnerId, status: "completed" });

    const exited = new Promise<number | null>((resolve) => worker!.once("exit", (code) => resolve(code)));
    worker.kill("SIGINT");
    expect(await exited).toBe(130);
    worker = null;
    const row = (await rowsOf("runners")).find((r) => r.id === runnerId)!;
    expect(row.stoppedAt).not.toBeNull();
  }, 120_000);
});
