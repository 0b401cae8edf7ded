/**
 * Executor benchmark (issue #4): 8 concurrent scripted agents — real child processes
 * printing Claude Code stream-json — each emitting 500 events/s for 30 s, run through
 * the command runtime and executeTask into a real SQLite file (WAL). Reports the main
 * thread's event-loop delay (p50/p99/max) while they run and the events persisted per
 * second. Target: p99 < 20 ms.
 *
 *   npm run bench:executor [-- --agents 8 --rate 500 --seconds 30]
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { migrateDatabase, openDatabase } from "../src/lib/db/client";
import { tasks } from "../src/lib/db/schema";
import { commandRuntime } from "../src/lib/runtimes/command";
import { commandConfigSchema } from "../src/lib/runtimes/config";
import { executeTask } from "../src/lib/runtimes/task-executor";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { agents: { type: "string", default: "8" }, rate: { type: "string", default: "500" }, seconds: { type: "string", default: "30" } },
  });
  const agents = Number(values.agents);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);

  const root = path.resolve(__dirname, "..");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-"));
  process.env.AGENTCRON_MIGRATIONS_DIR ??= path.join(root, "drizzle");
  const db = openDatabase(path.join(dir, "bench.db"));
  migrateDatabase(db);

  const runtime = commandRuntime(
    commandConfigSchema.parse({
      command: [process.execPath, path.join(root, "test/fixtures/scripted-agent.mjs"), "--rate", String(rate), "--duration-ms", String(seconds * 1000)],
      outputFormat: "claude-stream-json",
    }),
  );

  const now = Date.now();
  const taskIds = Array.from({ length: agents }, () => {
    const id = randomUUID();
    db.insert(tasks).values({ id, title: "bench", prompt: "bench", status: "running", sourceType: "manual", rootSourceType: "manual", maxTurns: 1_000_000, createdAt: now, startedAt: now }).run();
    return id;
  });

  // Sampled every 1 ms (values include that interval); reset after a 1 s warm-up so
  // spawning the agents and loading modules don't count.
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const warmup = setTimeout(() => histogram.reset(), 1_000);
  const started = performance.now();
  const outcomes = await Promise.all(
    taskIds.map((taskId) => executeTask({ db, taskId, runtime, prompt: "bench", maxTurns: 1_000_000, signal: new AbortController().signal })),
  );
  const elapsedSec = (performance.now() - started) / 1000;
  clearTimeout(warmup);
  histogram.disable();

  const persisted = (db.$client.prepare("SELECT count(*) AS n FROM task_events").get() as { n: number }).n;
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  const failed = outcomes.filter((o) => o.status !== "completed");
  const report = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    agents,
    targetEventsPerSecPerAgent: rate,
    seconds: Number(elapsedSec.toFixed(1)),
    eventsPersisted: persisted,
    eventsPersistedPerSec: Math.round(persisted / elapsedSec),
    eventLoopDelayMs: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
    turnsPerTask: outcomes.map((o) => o.turnCount),
    failedTasks: failed.length,
  };
  console.log(JSON.stringify(report, null, 2));
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (failed.length) {
    console.error("failed tasks:", failed.map((f) => f.error));
    process.exit(1);
  }
}

void main();
