/**
 * The planning invariant with concurrent runners on PostgreSQL (issue 14 item 3, ADR 0013):
 * RUNNERS runners, each on its own pool (its own connections), plan the same per-second
 * and per-minute schedules at the same instants, all at once. Exactly one runner plans each
 * schedule's due occurrences per instant; no occurrence has two root tasks; `firingCount`
 * equals the schedule's fired root tasks and never exceeds `maxFirings`; and every schedule
 * ends exactly as a single runner leaves it in a database of its own (tasks, counters,
 * watermark, status, missed counts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPgHandle, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";
import type { ScheduleRow } from "@/lib/db/schema";
import { planDueOccurrences, type SchedulePlan } from "@/lib/scheduler/occurrence-planner";
import { makeSchedule, T0 } from "../../factories";
import { rowsOf } from "../../support/rows";
import { createTestPgDatabase, dropTestPgDatabase, type TestPgDatabase } from "../../support/pg-test-db";

const RUNNERS = 4;
const SEC = 1000;
const MIN = 60 * SEC;
const BACKOFF = [1000];

/** Every schedule configuration once: cron × catch-up × overlap × maxFirings. Named by its configuration. */
const CONFIGS: Partial<ScheduleRow>[] = [];
for (const cronExpression of ["* * * * * *", "*/2 * * * * *", "* * * * *"]) {
  for (const catchUpPolicy of ["latest", "all", "skip"] as const) {
    for (const overlapPolicy of ["allow_all", "skip"] as const) {
      for (const maxFirings of [null, 7]) {
        CONFIGS.push({ name: `${cronExpression}|${catchUpPolicy}|${overlapPolicy}|${maxFirings}`, cronExpression, catchUpPolicy, overlapPolicy, maxFirings, catchUpWindowSec: 3600 });
      }
    }
  }
}

/** The instants every runner plans at: 20 seconds in a row, a 60 s gap, 10 more seconds, a 2.5 min gap, 3 more minutes. */
const INSTANTS = [
  ...Array.from({ length: 20 }, (_, i) => T0 + (i + 1) * SEC),
  ...Array.from({ length: 10 }, (_, i) => T0 + 81 * SEC + i * SEC),
  ...Array.from({ length: 3 }, (_, i) => T0 + 3 * MIN + i * MIN),
];

interface Outcome {
  tasks: { plannedAt: number | null; status: string }[];
  firingCount: number;
  maxFirings: number | null;
  status: string;
  nextFireAt: number | null;
  lastPlannedAt: number | null;
  lastFiredAt: number | null;
  missed: number;
  missedEvents: number;
}

/** Per schedule name: its root tasks (sorted), counters, watermark, status and missed counts. */
async function outcomes(db: Db): Promise<Map<string, Outcome>> {
  const [schedules, tasks, events] = [await rowsOf("schedules", db), await rowsOf("tasks", db), await rowsOf("events", db)];
  const out = new Map<string, Outcome>();
  for (const s of schedules) {
    const mine = tasks.filter((t) => t.scheduleId === s.id && t.parentTaskId == null);
    const missedEvents = events.filter((e) => e.scheduleId === s.id && e.kind === "missed_occurrences");
    out.set(s.name, {
      tasks: mine.map((t) => ({ plannedAt: t.plannedAt, status: t.status })).sort((a, b) => a.plannedAt! - b.plannedAt! || a.status.localeCompare(b.status)),
      firingCount: s.firingCount,
      maxFirings: s.maxFirings,
      status: s.status,
      nextFireAt: s.nextFireAt,
      lastPlannedAt: s.lastPlannedAt,
      lastFiredAt: s.lastFiredAt,
      missed: missedEvents.reduce((n, e) => n + Number((e.data as { count: number }).count), 0),
      missedEvents: missedEvents.length,
    });
  }
  return out;
}

async function open(url: string): Promise<Db> {
  const { db, ready } = openPgHandle(url, { poolSize: 3, applicationName: "agentcron-planning-test" });
  await ready;
  return db;
}

describe("planning with concurrent runners on PostgreSQL (ADR 0013)", () => {
  let runners: Db[] = [];
  let reference: { pg: TestPgDatabase; db: Db } | null = null;

  beforeAll(async () => {
    const url = process.env.DATABASE_URL!;
    runners = await Promise.all(Array.from({ length: RUNNERS }, () => open(url)));
    const pg = await createTestPgDatabase();
    reference = { pg, db: await open(pg.url) };
  });

  afterAll(async () => {
    for (const db of runners) await closePgDatabase(db as unknown as PgDb);
    if (reference) {
      await closePgDatabase(reference.db as unknown as PgDb);
      await dropTestPgDatabase(reference.pg);
    }
  });

  it(`${RUNNERS} runners on separate pools plan each occurrence once; firingCount, maxFirings and missed counts are a single runner's`, async () => {
    // The same schedules in two databases: the shared one and the single runner's.
    for (const config of CONFIGS) {
      await makeSchedule(config, runners[0]);
      await makeSchedule(config, reference!.db);
    }

    let contended = 0;
    let emptyPlans = 0;
    let busy = 0;
    for (const now of INSTANTS) {
      // Passes at one instant until nothing is due (catch-up `all` may leave the rest of a long window to the next pass).
      while ((await planDueOccurrences(reference!.db, now, BACKOFF)).plans.length);
      for (;;) {
        const passes = await Promise.all(runners.map((db) => planDueOccurrences(db, now, BACKOFF)));
        for (const p of passes) expect(p.failed).toEqual([]);
        const plans = passes.flatMap((p) => p.plans as SchedulePlan[]);
        busy += passes.reduce((n, p) => n + p.busy.length, 0);
        if (!plans.length) break;
        // A plan that decided nothing planned what another runner had already planned.
        emptyPlans += plans.filter((plan) => plan.queued + plan.skipped + plan.missed === 0).length;
        if (passes.filter((p) => p.plans.length > 0).length > 1) contended += 1;
      }
    }
    const tasks = (await rowsOf("tasks", runners[0])).filter((t) => t.parentTaskId == null);
    const keys = tasks.map((t) => `${t.scheduleId}@${t.plannedAt}`);
    const shared = await outcomes(runners[0]);
    const single = await outcomes(reference!.db);
    let fired = 0;
    let missed = 0;
    let singleMissed = 0;
    const wrong = { firingCount: 0, overMaxFirings: 0, differsFromSingle: 0 };
    for (const [name, o] of shared) {
      if (o.firingCount !== o.tasks.filter((t) => t.status !== "skipped").length) wrong.firingCount += 1;
      if (o.maxFirings != null && o.firingCount > o.maxFirings) wrong.overMaxFirings += 1;
      if (JSON.stringify(o) !== JSON.stringify(single.get(name))) wrong.differsFromSingle += 1;
      fired += o.firingCount;
      missed += o.missed;
      singleMissed += single.get(name)?.missed ?? 0;
    }
    console.info(
      `[concurrent-planning] ${RUNNERS} runners, ${CONFIGS.length} schedules, ${INSTANTS.length} instants: ${tasks.length} root tasks, ${fired} firings, ` +
        `${missed} missed (single runner: ${singleMissed}), ${contended} contended passes, ${busy} rows skipped as busy, ${emptyPlans} empty plans, wrong: ${JSON.stringify(wrong)}`,
    );
    // The runners really ran side by side: a runner found schedules another one was planning at
    // that moment (busy), or at some instant more than one of them planned something. Batched
    // planning (ADR 0027) locks a whole due batch in one statement, so the first runner there
    // usually takes all of it and the others see it busy.
    expect(busy + contended).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
    expect(emptyPlans).toBe(0);
    expect(new Set(keys).size).toBe(keys.length); // 0 duplicate occurrences
    expect(shared.size).toBe(CONFIGS.length);
    for (const [name, o] of shared) {
      expect(o.firingCount, name).toBe(o.tasks.filter((t) => t.status !== "skipped").length);
      if (o.maxFirings != null) expect(o.firingCount, name).toBeLessThanOrEqual(o.maxFirings);
      expect(o, name).toEqual(single.get(name));
    }
    expect(missed).toBe(singleMissed);
    // The scenario exercises what it claims to: firings, completions by maxFirings, missed counts.
    expect(fired).toBeGreaterThan(500);
    expect(missed).toBeGreaterThan(1000);
    expect([...shared.values()].filter((o) => o.status === "completed").length).toBeGreaterThan(0);
  }, 120_000);
});
