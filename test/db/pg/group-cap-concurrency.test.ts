/**
 * Concurrency-group and runtime caps on PostgreSQL with concurrent runners (issue 12 item 4,
 * in the style of cap-concurrency.test.ts): four runners, each on its OWN pool, two draining
 * and two claiming single tasks (Run now's path), over tasks of two capped groups (1 and 2), a
 * runtime capped at 2, and uncapped work, while completions free slots concurrently. Never:
 * more than 1 of g1, 2 of g2, 2 on the runtime, or the global cap running — sampled from a
 * fifth connection and from the intervals the claimers observed (claim returned → finish
 * started); and every cap was actually reached.
 */
import { completeAsRunner } from "../../support/complete-as-runner";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getSettings } from "@/lib/config/settings";
import { openPgHandle, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import { countActiveTasksPerGroup, upsertGroupCap } from "@/lib/db/queries/concurrency-groups";
import { claimTask, countRunning, selectDrainCandidates } from "@/lib/db/queries/slots";
import { run, tablesOf } from "@/lib/db/sql";
import { drainQueue } from "@/lib/scheduler/drain";
import { makeRuntime, makeTask, T0 } from "../../factories";
import { and, count, eq } from "drizzle-orm";

const RUNNERS = 4;
const CAP = 6;
const TASKS = 240;
const LIMITS: Record<string, number> = { g1: 1, g2: 2, rt: 2 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("group and runtime caps on PostgreSQL, concurrent runners on separate connections", () => {
  const handles: Db[] = [];
  beforeAll(async () => {
    for (let i = 0; i <= RUNNERS; i++) {
      const { db, ready } = openPgHandle(process.env.DATABASE_URL!, { poolSize: 4, applicationName: `group-cap-test-${i}` });
      await ready;
      handles.push(db);
    }
  });
  afterAll(async () => {
    for (const h of handles) await closePgDatabase(h as unknown as PgDb);
  });

  it(`never more than g1=1, g2=2, runtime=2, all=${CAP} running across ${RUNNERS} runners (${TASKS} tasks)`, { timeout: 120_000 }, async () => {
    const seedDb = handles[RUNNERS];
    const rt = await makeRuntime({ config: { command: ["echo"], maxConcurrent: LIMITS.rt } }, seedDb);
    await upsertGroupCap(seedDb, "g1", LIMITS.g1, T0);
    await upsertGroupCap(seedDb, "g2", LIMITS.g2, T0);
    const keyOf = new Map<string, string>();
    for (let i = 0; i < TASKS; i++) {
      const kind = ["g1", "g2", "rt", "free"][i % 4];
      const t = await makeTask({ createdAt: T0 + i, maxAttempts: 1, concurrencyGroup: kind.startsWith("g") ? kind : null, runtimeId: kind === "rt" ? rt.id : null }, seedDb);
      keyOf.set(t.id, kind);
    }
    const settings = { ...(await getSettings(seedDb)), maxConcurrent: CAP };

    let seq = 0;
    const intervals: { taskId: string; from: number; to: number }[] = [];
    let finished = 0;
    let claims = 0;
    const sampledMax: Record<string, number> = { g1: 0, g2: 0, rt: 0, all: 0 };
    let stop = false;

    const finish = async (db: Db, runnerId: string, taskId: string, from: number) => {
      await sleep(Math.random() * 3);
      intervals.push({ taskId, from, to: ++seq });
      await completeAsRunner(db, runnerId, taskId);
      finished += 1;
    };

    const runner = async (index: number) => {
      const db = handles[index];
      const runnerId = `runner-${index}`;
      const inFlight: Promise<void>[] = [];
      while (finished < TASKS) {
        const now = Date.now();
        let claimed: string[] = [];
        if (index % 2 === 0) {
          claimed = (await drainQueue({ db, now, runnerId, settings, chatStreams: 0, runnerLabels: [] })).claimed.map((c) => c.task.id);
        } else {
          for (const c of await selectDrainCandidates(db, now, 4)) {
            if (await claimTask(db, { taskId: c.task.id, runnerId, now, cap: CAP, defaultLeaseSec: 600, serialize: false, force: false, runnerLabels: [] })) claimed.push(c.task.id);
          }
        }
        claims += claimed.length;
        for (const id of claimed) inFlight.push(finish(db, runnerId, id, ++seq));
        if (!claimed.length) await sleep(1);
      }
      await Promise.all(inFlight);
    };

    const { tasks } = tablesOf(seedDb);
    const sampler = async () => {
      while (!stop) {
        for (const g of await countActiveTasksPerGroup(seedDb)) if (g.status === "running") sampledMax[g.group] = Math.max(sampledMax[g.group] ?? 0, g.n);
        const onRt = await run(seedDb, seedDb.select({ n: count() }).from(tasks).where(and(eq(tasks.status, "running"), eq(tasks.runtimeId, rt.id))));
        sampledMax.rt = Math.max(sampledMax.rt, Number(onRt[0].n));
        sampledMax.all = Math.max(sampledMax.all, await countRunning(seedDb));
      }
    };

    const sampling = sampler();
    await Promise.all(Array.from({ length: RUNNERS }, (_, i) => runner(i)));
    stop = true;
    await sampling;

    // Observed overlap per key from the claimers' intervals.
    const observedMax: Record<string, number> = {};
    for (const key of ["g1", "g2", "rt", "all"]) {
      const points = intervals.filter((i) => key === "all" || keyOf.get(i.taskId) === key).flatMap((i) => [{ at: i.from, d: +1 }, { at: i.to, d: -1 }]).sort((a, b) => a.at - b.at);
      let live = 0;
      observedMax[key] = 0;
      for (const p of points) observedMax[key] = Math.max(observedMax[key], (live += p.d));
    }
    console.log(`[group-cap-concurrency] ${claims} claims; max running sampled ${JSON.stringify(sampledMax)}, observed ${JSON.stringify(observedMax)}`);

    for (const [key, limit] of Object.entries({ ...LIMITS, all: CAP })) {
      expect(sampledMax[key], `${key} sampled`).toBeLessThanOrEqual(limit);
      expect(observedMax[key], `${key} observed`).toBeLessThanOrEqual(limit);
      // Liveness: each cap was actually filled. Both measures are lower bounds of the true
      // maximum (an interval here ends before its slot is freed; the sampler sees instants), so
      // either one at the limit proves it. The intervals alone fell one short once under a full
      // parallel suite (sampled 6, observed 5, 2026-12-04).
      expect(Math.max(observedMax[key], sampledMax[key]), `${key} reached`).toBe(limit);
    }
    expect(claims).toBe(TASKS);
    const rows = await run(seedDb, seedDb.select().from(tasks));
    expect(rows.filter((r) => r.status === "completed")).toHaveLength(TASKS);
  });
});
