/**
 * Major garbage collections in the scheduler's quiet windows (ADR 0035, issue 15 item 0):
 * the real V8 heap of the test process, the real loop with real timers (a fake wall clock, so
 * the next occurrence is where the test puts it).
 */
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeExecutorHost, executorHost, executorHostQuietCollections } from "@/lib/runtimes/executor-host/host";
import { schedulerStatus } from "@/lib/scheduler/status";
// @ts-expect-error -- a plain .mjs module without types (the launcher of npm start)
import { spawnNextStart, V8_HEAP_FLAGS } from "../../scripts/launch.mjs";
import { registerStream, unregisterStream } from "@/lib/chat/active-streams";
import { getDb } from "@/lib/db/client";
import type { SchedulerLoop } from "@/lib/scheduler/loop";
import { collectIfGrown, oldGenerationBytes, quietCollectionStats } from "@/lib/scheduler/quiet-collection";
import { registerRunner } from "@/lib/scheduler/runner-registry";
import { startScheduler } from "@/lib/scheduler/start";
import { QUIET_COLLECT_DELAY_MS, QUIET_COLLECT_GROWTH_BYTES, QUIET_COLLECT_MIN_LEAD_MS } from "@/lib/scheduler/tuning";
import { FakeClock } from "@/lib/time/clock";
import { makeSchedule, T0, truncateAll } from "../factories";
import { BACKOFF_MS, setCap } from "../support/scheduler-harness";
import { TestRuntime, testResolver, waitFor } from "../support/test-runtime";

const MiB = 1024 * 1024;
/** V8's collector, for the test's own young-generation collections (promotion). */
v8.setFlagsFromString("--expose-gc");
const testGc = vm.runInNewContext("gc") as (options?: { type: "minor" | "major" }) => void;
/**
 * Keeps at least `bytes` alive in the old generation: arrays of 131,072 doubles (≥ 1 MiB each),
 * promoted by two young-generation collections (a survivor of two scavenges moves to the old
 * generation).
 */
let retained: number[][] = [];
function retainOldGeneration(bytes: number): void {
  for (let kept = 0; kept < bytes; kept += MiB) retained.push(Array.from({ length: MiB / 8 }, (_, i) => i + 0.5));
  testGc({ type: "minor" });
  testGc({ type: "minor" });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const loops: SchedulerLoop[] = [];
beforeEach(async () => truncateAll());
afterEach(async () => {
  retained = [];
  unregisterStream("quiet-test");
  for (const loop of loops.splice(0)) {
    loop.halt();
    await loop.stop();
  }
});

/** A real-timer loop with one schedule every 5 minutes, on a fake wall clock at `at`. */
async function startLoop(at: number, quietCollection = true) {
  await setCap(5);
  await makeSchedule({ cronExpression: "*/5 * * * *" });
  const db = getDb();
  const clock = new FakeClock(at);
  const loop = await startScheduler({
    db,
    clock,
    runnerId: await registerRunner(db, at),
    resolveRuntime: testResolver(new TestRuntime()),
    timers: true,
    deferLaunches: true,
    crossInstanceWake: false,
    retryBackoffMs: BACKOFF_MS,
    quietCollection,
  });
  loops.push(loop);
  return loop;
}

describe("collectIfGrown", () => {
  it("collects once the old generation grew past the threshold, then not again until it grows again", () => {
    collectIfGrown(Number.POSITIVE_INFINITY); // sets the floor, never collects
    const before = quietCollectionStats();
    retainOldGeneration(4 * MiB);
    const grown = collectIfGrown(2 * MiB);
    expect(grown.collected).toBe(true);
    expect(grown.grownBytes).toBeGreaterThanOrEqual(2 * MiB);
    expect(grown.pauseMs).toBeGreaterThan(0);
    const after = quietCollectionStats();
    expect(after.collections).toBe(before.collections + 1);
    expect(after.floorBytes).toBeGreaterThan(0);
    // The floor is the heap after that collection (the retained arrays included): no growth since.
    const again = collectIfGrown(2 * MiB);
    expect(again.collected).toBe(false);
    expect(again.grownBytes).toBeLessThan(2 * MiB);
    expect(quietCollectionStats().collections).toBe(after.collections);
  });

  it("frees garbage: the old generation after a collection is smaller than before it", () => {
    collectIfGrown(Number.POSITIVE_INFINITY);
    retainOldGeneration(6 * MiB);
    collectIfGrown(0); // the 6 MiB are the floor now
    const withGarbage = (retained = [], retainOldGeneration(6 * MiB), oldGenerationBytes());
    retained = [];
    expect(collectIfGrown(0).collected).toBe(true);
    expect(oldGenerationBytes()).toBeLessThan(withGarbage - 4 * MiB);
  });
});

describe("the loop's quiet window", () => {
  it("collects after a pass when nothing is due soon, and not while a chat streams", async () => {
    const loop = await startLoop(T0 + 1); // the next occurrence is 5 minutes away
    await sleep(QUIET_COLLECT_DELAY_MS + 100); // the first pass's quiet window is past
    registerStream("quiet-test");
    const before = quietCollectionStats().collections;
    retainOldGeneration(2 * QUIET_COLLECT_GROWTH_BYTES);
    await loop.runPass();
    await sleep(QUIET_COLLECT_DELAY_MS + 250);
    expect(quietCollectionStats().collections).toBe(before); // a chat reply is streaming: V8 decides
    unregisterStream("quiet-test"); // the streams are empty: a pass, then its quiet window
    await waitFor(() => quietCollectionStats().collections > before, "a quiet-window collection", 3_000);
  });

  it("does not collect when the next wake is closer than QUIET_COLLECT_MIN_LEAD_MS", async () => {
    // The occurrence is 250 ms ahead on the loop's clock (which the test does not move): every
    // quiet check finds it 250 ms away.
    const nextFire = T0 + 5 * 60_000;
    const loop = await startLoop(nextFire - (QUIET_COLLECT_MIN_LEAD_MS - 50));
    const before = quietCollectionStats().collections;
    retainOldGeneration(2 * QUIET_COLLECT_GROWTH_BYTES);
    await loop.runPass();
    await sleep(3 * QUIET_COLLECT_DELAY_MS + 400);
    expect(loop.passCount).toBeGreaterThan(1); // the wake timers did fire (and their passes looked again)
    expect(quietCollectionStats().collections).toBe(before);
  });

  it("quietCollection false (AGENTCRON_QUIET_COLLECTION=off): never collects", async () => {
    const loop = await startLoop(T0 + 1, false);
    const before = quietCollectionStats().collections;
    retainOldGeneration(2 * QUIET_COLLECT_GROWTH_BYTES);
    await loop.runPass();
    await sleep(QUIET_COLLECT_DELAY_MS + 250);
    expect(quietCollectionStats().collections).toBe(before);
  });
});

describe("the executor host's thread", () => {
  afterEach(async () => closeExecutorHost());

  it("collects when told the scheduler is quiet, and reports it (GET /api/scheduler/status)", async () => {
    const host = await executorHost();
    expect(host).not.toBeNull(); // the real worker thread
    expect(executorHostQuietCollections()).toEqual({ collections: 0, pauseMsTotal: 0, pauseMsMax: 0 });
    host!.quiet(Number.POSITIVE_INFINITY); // its heap grew less than that: nothing
    host!.quiet(0); // any growth: it collects
    await waitFor(() => (executorHostQuietCollections()?.collections ?? 0) > 0, "the host's collection", 5_000);
    expect(executorHostQuietCollections()!.collections).toBe(1);
    expect(executorHostQuietCollections()!.pauseMsMax).toBeGreaterThan(0);
    const status = await schedulerStatus(getDb());
    expect(status.quietCollections.enabled).toBe(true);
    expect(status.quietCollections.host).toMatchObject({ collections: 1 });
    expect(status.quietCollections.main.collections).toBe(quietCollectionStats().collections);
  });
});

describe("the young generation's fixed size (V8_HEAP_FLAGS)", () => {
  it("is passed to every server and worker process: next start (scripts/launch.mjs), npm run worker, bench:start", () => {
    expect(V8_HEAP_FLAGS).toEqual(expect.arrayContaining([expect.stringMatching(/^--min-semi-space-size=\d+$/), expect.stringMatching(/^--max-semi-space-size=\d+$/)]));
    const size = (flag: string) => flag.split("=")[1];
    expect(size(V8_HEAP_FLAGS[0])).toBe(size(V8_HEAP_FLAGS[1])); // fixed: min = max
    const scripts = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")).scripts as Record<string, string>;
    for (const name of ["worker", "bench:start"]) {
      for (const flag of V8_HEAP_FLAGS as string[]) expect(scripts[name], `package.json ${name}`).toContain(flag);
    }
  });

  it("reaches the node process the launcher starts (npm start, e2e): its execArgv and its young generation", async () => {
    // `-e` in nodeArgs: node runs that code and takes `next start …` as its arguments, so this is
    // the very command line spawnNextStart builds, without a server.
    const probe = "const v8=require('v8');console.log(JSON.stringify({execArgv:process.execArgv,newSpace:v8.getHeapSpaceStatistics().find(s=>s.space_name==='new_space').space_size}))";
    const child = spawnNextStart({ host: "127.0.0.1", port: 0, nodeArgs: ["-e", probe], stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    await new Promise((resolve) => child.once("close", resolve)); // 'close': its stdout read to the end
    const { execArgv, newSpace } = JSON.parse(out) as { execArgv: string[]; newSpace: number };
    expect(execArgv.slice(0, V8_HEAP_FLAGS.length)).toEqual(V8_HEAP_FLAGS);
    expect(newSpace).toBe(Number((V8_HEAP_FLAGS[0] as string).split("=")[1]) * MiB); // fixed at its size from the start
  });
});
