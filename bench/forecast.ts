/**
 * Benchmark: GET /api/forecast's work (issue #12 item 8) — getForecast over a real SQLite
 * file: 1,000 active schedules (distinct expressions in 4 timezones, one in 50 with a
 * seconds field, i.e. firing up to every second), each with 40 firing metrics (the last 20
 * make its expected duration, in one batched query), against caps of 2, 20 and 200.
 * Target: < 200 ms for 1,000 schedules over 24 h. The first (cold) call is reported apart:
 * it parses every expression and builds the zone tables, as a fresh server does once.
 *
 *   npm run bench:forecast
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { updateSettings } from "../src/lib/config/settings";
import { migrateDatabase, openDatabase } from "../src/lib/db/client";
import { scheduleFiringMetrics, schedules } from "../src/lib/db/schema";
import { getForecast } from "../src/lib/forecast/service";

function cronFor(i: number): string {
  if (i % 50 === 0) return `*/${(i % 7) + 1} * * * * *`;
  switch (i % 5) {
    case 0: return `${Math.floor(i / 5) % 10}-59/10 * * * *`;
    case 1: return `${i % 60} ${(i * 7) % 24} * * 1-5`;
    case 2: return `${i % 60} */${[1, 2, 3, 4, 6][i % 5]} * * *`;
    case 3: return `${i % 60} ${i % 24} * * *`;
    default: return `${i % 60} 8-18 * * *`;
  }
}
const TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
const now = Date.UTC(2026, 11, 2, 15, 0, 0);

/** Only the columns this bench sets; the rest are the schema's defaults. */
function row(i: number): typeof schedules.$inferInsert {
  return {
    id: randomUUID(), name: `s${i}`, prompt: "p", cronExpression: cronFor(i), timezone: TIMEZONES[i % TIMEZONES.length],
    maxTurns: 200, overlapPolicy: i % 3 === 0 ? "allow_all" : "skip", lastPlannedAt: now, createdAt: now - 90 * 86_400_000, updatedAt: now,
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-forecast-"));
const db = openDatabase(path.join(dir, "bench.db"));
migrateDatabase(db);
const N = 1000;
const rows = Array.from({ length: N }, (_, i) => row(i));
db.transaction((tx) => {
  for (const r of rows) tx.insert(schedules).values(r).run();
  rows.forEach((r, i) => {
    for (let k = 0; k < 40; k++) {
      const firedAt = now - (k + 1) * 3_600_000;
      // 2 s … 10 min, per schedule; the per-second ones short.
      const durationMs = i % 50 === 0 ? 200 + (i % 7) * 100 : 2_000 + ((i * 37 + k) % 300) * 2_000;
      tx.insert(scheduleFiringMetrics).values({
        scheduleId: r.id, taskId: randomUUID(), firedAt, plannedAt: firedAt, slotClaimedAt: firedAt, completedAt: firedAt + durationMs,
        latenessMs: 0, slotWaitMs: 0, durationMs, turnCount: 3, maxTurnsAtFiring: 200, eventLoopLagMs: 1, peakRssMb: 200,
        chatStreamsActive: 0, concurrentSchedules: 1, failureReason: null,
      }).run();
    }
  });
});

/** Wrapped: tsx loads this file as CommonJS, where top-level await is not allowed. */
async function main() {
  console.log(`getForecast — ${N} active schedules, ${N * 40} firing metrics; Node ${process.version}, ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg()[0].toFixed(1)}`);
  for (const cap of [2, 20, 200]) {
    await updateSettings({ maxConcurrent: cap }, now, db);
    for (const hours of [24, 168]) {
      let t = performance.now();
      let f = await getForecast(db, now, hours);
      const first = performance.now() - t;
      const runs = hours === 24 ? 9 : 5;
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        t = performance.now();
        f = await getForecast(db, now, hours);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      const firings = f.schedules.reduce((s, x) => s + x.firings, 0);
      const peak = Math.max(...f.minutes.map((m) => m.expectedRunning));
      console.log(
        `cap ${String(cap).padStart(3)}, ${String(hours).padStart(3)} h: first ${first.toFixed(0)} ms, median ${times[Math.floor(runs / 2)].toFixed(0)} ms, max ${times[runs - 1].toFixed(0)} ms — ${firings.toLocaleString("en")} firings, peak ${peak}, ${f.overloads.length} overloads (${f.overloads.filter((o) => o.stagger.length).length} with a stagger)`,
      );
    }
  }
}

void main().finally(() => {
  db.$client.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
