/**
 * Issue 11 "Done when": retention keeps the database under a bound through a simulated year
 * of a per-second schedule. Not 31.5 M inserts: time is compressed. The clock is injected
 * (`now` of each maintenance run moves a day at a time) and each simulated day inserts a
 * sample of the day's runs — SAMPLE_PER_DAY runs evenly spread over the day, each standing for
 * 86,400 / SAMPLE_PER_DAY real ones, each with 2 task events (an assistant message and the
 * result) — then runs maintenance as the timer would (prune + incremental vacuum) at the end
 * of the day. Default retention by age (tasks 90 d, task events 30 d, events 30 d, chat 90 d,
 * last 20 runs kept) with the per-schedule count cap switched off (maxTasksPerSchedule null):
 * this test measures the age rule, whose rows scale with the sampling; the cap (ADR 0025) is
 * measured at the real rate in real-rate.test.ts.
 *
 * Bounds checked every simulated day:
 *   tasks       ≤ SAMPLE_PER_DAY × (90 + 1) + 20
 *   task events ≤ 2 × (SAMPLE_PER_DAY × (30 + 1) + 20)
 *   database ≤ SIZE_BOUND_BYTES = 40 MiB (SQLite: page_count × page_size after maintenance;
 *   PostgreSQL: pg_database_size), and on SQLite the last day's size within 10 % of day 120's
 *   (steady state: the file stops growing).
 * Measured (2026-12-02, shared 2-core machine, load ~12): SQLite at 288/day max 25,920 tasks,
 * 17,280 task events, 30.0 MiB on day 90, 30.4 MiB on day 365; 3,547 prune batches and vacuum
 * steps, wall p99 15 ms (max 58), CPU p99 10 ms (max 22). PostgreSQL at 96/day: 8,640 tasks,
 * 5,760 task events, 22.0 MiB day 120, 27.4 MiB day 365; 1,843 batches, wall p99 10.5 ms.
 * Every row scales with the sampling, so the full-rate figures are these × 86,400 / SAMPLE
 * (docs/adr/0018-retention-vacuum-and-backups.md gives them).
 * 2026-12-04: the spend rollups (an hour row and a day row per schedule per period, ADR 0020)
 * had come to grow without end: PostgreSQL 38.4–42.0 MiB by day 334–365 (schedule_usage_rollups
 * 10.5 MiB of it), over the bound in 2 of 3 runs. Retention now drops the rollups no read
 * reaches (ADR 0025 amendment): PostgreSQL 22.5 MiB day 120, 26.9 MiB day 365; SQLite 30.3 and
 * 30.6 MiB (both 2-core machine, quiet).
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { getDb, databasePath } from "@/lib/db/client";
import { recordEvent } from "@/lib/events/log";
import { updateKeepSettings } from "@/lib/retention/keep-settings";
import { runMaintenance } from "@/lib/retention/maintenance";
import { percentileMs } from "@/lib/retention/prune";
import { selectStorageStats } from "@/lib/db/queries/storage";
import { makeConversation, makeMessage, makeSchedule, T0 } from "../factories";
import { countRows, countersMatch, insertRuns } from "./support";

const DAY = 24 * 3600 * 1000;
const DAYS = 365;
const dialect = process.env.AGENTCRON_TEST_DIALECT === "pg" ? "pg" : "sqlite";
/** Runs inserted per simulated day: one every 5 minutes (each standing for 300 real ones); PostgreSQL one every 15 (its inserts go over the wire). */
const SAMPLE_PER_DAY = dialect === "pg" ? 96 : 288;
/**
 * The stated bound at SAMPLE_PER_DAY (see the header): the SQLite file (page_count × page_size),
 * PostgreSQL's pg_database_size (which includes the catalogs, ~8 MiB on an empty database).
 */
const SIZE_BOUND_BYTES = 40 * 1024 * 1024;

describe("a simulated year of a per-second schedule", () => {
  it(`stays under the bound with default retention (${SAMPLE_PER_DAY} sampled runs a day)`, { timeout: 900_000 }, async () => {
    const db = getDb();
    const schedule = await makeSchedule({ cronExpression: "* * * * * *", name: "every second" });
    await updateKeepSettings({ retention: { maxTasksPerSchedule: null } }, T0);
    const sizes: number[] = [];
    const wall: number[] = [];
    const cpu: number[] = [];
    let maxTasks = 0;
    let maxTaskEvents = 0;
    for (let day = 0; day < DAYS; day++) {
      const from = T0 + day * DAY;
      await insertRuns(db, schedule.id, from, from + DAY, SAMPLE_PER_DAY, 2);
      await recordEvent(db, { kind: "missed_occurrences", scheduleId: schedule.id, message: "3 missed", data: { count: 3 }, createdAt: from + DAY / 2 });
      if (day % 7 === 0) {
        const c = await makeConversation({ createdAt: from, updatedAt: from + 3600_000 });
        for (let m = 0; m < 10; m++) await makeMessage({ conversationId: c.id, createdAt: from + m, content: "What failed last night and why?" });
      }
      const report = await runMaintenance(db, from + DAY);
      wall.push(...report.batchMs);
      cpu.push(...report.batchCpuMs);
      const rows = await countRows(db);
      maxTasks = Math.max(maxTasks, rows.tasks);
      maxTaskEvents = Math.max(maxTaskEvents, rows.taskEvents);
      expect(rows.tasks, `day ${day}`).toBeLessThanOrEqual(SAMPLE_PER_DAY * 91 + 20);
      expect(rows.taskEvents, `day ${day}`).toBeLessThanOrEqual(2 * (SAMPLE_PER_DAY * 31 + 20));
      expect(rows.events, `day ${day}`).toBeLessThanOrEqual(31);
      expect(rows.chatConversations, `day ${day}`).toBeLessThanOrEqual(14);
      const size = (await selectStorageStats(db)).sizeBytes;
      sizes.push(size);
      expect(size, `day ${day}`).toBeLessThanOrEqual(SIZE_BOUND_BYTES);
    }
    const counters = await countersMatch(db);
    expect(counters.counted).toBe(counters.recounted);
    const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
    const onDisk = dialect === "sqlite" ? fs.statSync(databasePath()).size : sizes[DAYS - 1];
    console.log(
      `[simulated-year] ${dialect}, ${SAMPLE_PER_DAY} runs/day sampled: max ${maxTasks} tasks, ${maxTaskEvents} task events; ` +
        `size day 30 ${mib(sizes[29])} MiB, day 90 ${mib(sizes[89])} MiB, day 120 ${mib(sizes[119])} MiB, day 365 ${mib(sizes[DAYS - 1])} MiB (file ${mib(onDisk)} MiB), ` +
        `max ${mib(Math.max(...sizes))} MiB; ${wall.length} prune batches and vacuum steps over the year: ` +
        `wall p50 ${percentileMs(wall, 50)?.toFixed(1)} / p99 ${percentileMs(wall, 99)?.toFixed(1)} / max ${Math.max(...wall).toFixed(1)} ms, ` +
        `CPU p50 ${percentileMs(cpu, 50)?.toFixed(1)} / p99 ${percentileMs(cpu, 99)?.toFixed(1)} / max ${Math.max(...cpu).toFixed(1)} ms`,
    );
    // Steady state: after the longest retention (90 d) the SQLite file stops growing. (PostgreSQL:
    // the VACUUM after each prune makes dead rows' space reusable, but its files never shrink and
    // its indexes keep some slack; it stays under the bound above — 22 → 27 MiB from day 120 to 365.)
    if (dialect === "sqlite") expect(sizes[DAYS - 1]).toBeLessThanOrEqual(sizes[119] * 1.1);
    expect(percentileMs(cpu, 99)!).toBeLessThan(50);
  });
});
