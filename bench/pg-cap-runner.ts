/**
 * One runner PROCESS of bench/pg-cap.ts (issue 14 item 7): its own Node process and pool on the
 * bench's database. Not run by hand; bench/pg-cap.ts spawns four of these.
 *
 * Modes (PG_RUNNER_MODE):
 * - `drain`: loops `drainQueue` (the scheduler's claim path: one transaction, the cap's advisory
 *   lock, ONE batch claim statement) for PG_RUNNER_MS; after each drain it finishes the tasks it
 *   claimed in one UPDATE (a stand-in for runs ending, so slots free at once; the guarded
 *   terminal write is measured elsewhere). Prints `{claims, drains, drainMs: [..], cpuMs,
 *   maxRunningAfter}` as JSON (cpuMs: this process's user + system CPU during the loop, ms;
 *   maxRunningAfter: the most tasks running right after one of its claims, as the claim counted
 *   them under the cap's lock — exact, not sampled).
 * - `loop`: starts the real SchedulerLoop (system clock, real timers, instant test-runtime runs)
 *   for PG_RUNNER_MS: the lateness phase; the parent reads schedule_firing_metrics.
 */
import path from "node:path";
import { sql } from "drizzle-orm";

process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");

/** Tells the parent this process is connected, and waits for its "go" (all runners start together). */
async function readyThenGo(): Promise<void> {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
}

async function main(): Promise<void> {
  const url = process.env.PG_RUNNER_URL!;
  const runnerId = process.env.PG_RUNNER_ID!;
  const ms = Number(process.env.PG_RUNNER_MS ?? 8000);
  const { openPgHandle } = await import("../src/lib/db/client");
  const { execute } = await import("../src/lib/db/sql");
  if (process.env.PG_RUNNER_MODE === "loop") {
    process.env.DATABASE_URL = url;
    const { getDb, dbReady } = await import("../src/lib/db/client");
    await dbReady();
    const { startScheduler } = await import("../src/lib/scheduler/start");
    const { registerRunner } = await import("../src/lib/scheduler/runner-registry");
    const { systemClock } = await import("../src/lib/time/clock");
    const { TestRuntime, testResolver } = await import("../test/support/test-runtime");
    const db = getDb();
    await readyThenGo();
    const loop = await startScheduler({ db, clock: systemClock, runnerId: await registerRunner(db, Date.now()), resolveRuntime: testResolver(new TestRuntime({ turns: 1 })) });
    await new Promise((r) => setTimeout(r, ms));
    await loop.stop();
    process.stdout.write(JSON.stringify({ ok: true }) + "\n", () => process.exit(0));
    return;
  }
  const { db, ready } = openPgHandle(url, { poolSize: 2, applicationName: `bench-${runnerId}` });
  await ready;
  const { getSettings } = await import("../src/lib/config/settings");
  const { drainQueue } = await import("../src/lib/scheduler/drain");
  const settings = { ...(await getSettings(db)), maxConcurrent: Number(process.env.PG_RUNNER_CAP ?? 20) };
  // As a real runner (scheduler/loop.ts): after a drain that claimed nothing it sleeps until
  // another runner announces a finished task (the wake bus: LISTEN/NOTIFY), instead of
  // spinning on empty drains that take the CPU from the runners that can claim; and it
  // announces its own finished tasks. PG_RUNNER_SPIN=1 keeps the old tight loop.
  const spin = process.env.PG_RUNNER_SPIN === "1";
  const { startWakeBus } = await import("../src/lib/scheduler/wake-bus");
  let woken: (() => void) | null = null;
  let pendingWake = false;
  const bus = await startWakeBus({
    db,
    runnerId,
    onWake: () => {
      if (woken) woken();
      else pendingWake = true;
    },
  });
  /** Resolves at the next remote wake (or one that came since the last wait), or after 50 ms: the loop's safety net. */
  const nextWake = () =>
    pendingWake
      ? ((pendingWake = false), Promise.resolve())
      : new Promise<void>((resolve) => {
          const t = setTimeout(done, 50);
          function done() {
            clearTimeout(t);
            woken = null;
            resolve();
          }
          woken = done;
        });
  await readyThenGo();
  const end = Date.now() + ms;
  const cpu0 = process.cpuUsage();
  let claims = 0;
  let drains = 0;
  let maxRunningAfter = 0;
  let emptyDrains = 0;
  const drainMs: number[] = [];
  while (Date.now() < end) {
    const t = performance.now();
    const res = await drainQueue({ db, now: Date.now(), runnerId, settings, chatStreams: 0, runnerLabels: [] });
    drainMs.push(performance.now() - t);
    drains++;
    claims += res.claimed.length;
    if (res.runningAfter != null) maxRunningAfter = Math.max(maxRunningAfter, res.runningAfter);
    if (res.claimed.length) {
      const ids = res.claimed.map((c) => c.task.id);
      await execute(db, sql`UPDATE tasks SET status = 'completed', finished_at = ${Date.now()} WHERE id = ANY(${sql.param(ids)}::text[]) AND runner_id = ${runnerId} AND status = 'running'`);
      if (!spin) bus.announce("task_finished");
    } else {
      emptyDrains++;
      if (!spin) await nextWake();
    }
  }
  await bus.stop();
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ claims, drains, drainMs, cpuMs: (cpu.user + cpu.system) / 1000, maxRunningAfter, emptyDrains }) + "\n", () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
