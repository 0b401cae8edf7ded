/**
 * Benchmark: time of computeCollisionWarnings (runs on every schedule save) against N
 * other active schedules, including per-second ones. Target: < 100 ms at 200 schedules,
 * so a save stays interactive. Each run after the first finds the parsed fields cached,
 * as a long-running server does; the first (cold) call is reported separately.
 *
 *   npm run bench:collisions
 */
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { closeDatabase, migrateDatabase, openDatabase } from "../src/lib/db/client";
import { schedules, type ScheduleRow } from "../src/lib/db/schema";
import { resetProcessSingleton } from "../src/lib/process-singleton";
import { computeCollisionWarnings } from "../src/lib/schedules/collisions";

/** Distinct expressions (no two schedules share an expansion), one in 50 with a seconds field. */
function cronFor(i: number): string {
  if (i % 50 === 0) return `*/${(i % 7) + 1} * * * * *`;
  switch (i % 5) {
    case 0: return `*/${(i % 29) + 1} * * * *`;
    case 1: return `${i % 60} ${(i * 7) % 24} * * 1-5`;
    case 2: return `${i % 60} */${(i % 5) + 1} * * *`;
    case 3: return `${i % 60} ${i % 24} ${(i % 28) + 1} * *`;
    default: return `${i % 60} 8-18 * * *`;
  }
}
const TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
const now = Date.UTC(2026, 0, 5, 12);

/** Only the columns this bench sets; the rest are the schema's defaults. */
function row(i: number, overrides: Partial<typeof schedules.$inferInsert> = {}): typeof schedules.$inferInsert {
  return {
    id: randomUUID(), name: `s${i}`, prompt: "p", cronExpression: cronFor(i), timezone: TIMEZONES[i % TIMEZONES.length],
    maxTurns: 200, lastPlannedAt: now, avgTurnsPerFiring: 40 + (i % 7) * 30, createdAt: now, updatedAt: now, ...overrides,
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-bench-"));
const db = openDatabase(path.join(dir, "bench.db"));
migrateDatabase(db);
console.log(`computeCollisionWarnings — Node ${process.version}, ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB`);
/** Wrapped: tsx loads this file as CommonJS, where top-level await is not allowed. */
async function main(): Promise<void> {
  for (const n of [10, 100, 200, 1000]) {
    db.delete(schedules).run();
    db.transaction((tx) => {
      for (let i = 0; i < n; i++) tx.insert(schedules).values(row(i)).run();
    });
    // The schedule being saved, as a full row (inserted for its defaults, then taken out again).
    const editedId = randomUUID();
    db.insert(schedules).values(row(-1, { id: editedId, cronExpression: "0 9 * * *", timezone: "Europe/Berlin", avgTurnsPerFiring: 2000 })).run();
    const edited: ScheduleRow = db.select().from(schedules).where(eq(schedules.id, editedId)).get()!;
    db.delete(schedules).where(eq(schedules.id, editedId)).run();
    resetProcessSingleton("collision-cron-fields");
    let t = performance.now();
    await computeCollisionWarnings(db, edited);
    const cold = performance.now() - t;
    const runs = n >= 1000 ? 3 : 10;
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      t = performance.now();
      await computeCollisionWarnings(db, edited);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`${String(n).padStart(5)} other schedules: cold ${cold.toFixed(1)} ms, warm median ${times[Math.floor(runs / 2)].toFixed(1)} ms, max ${times[runs - 1].toFixed(1)} ms`);
  }
}

void main().then(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});
