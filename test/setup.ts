/**
 * Per test file: a fresh temp data directory, so every file gets its own real SQLite
 * file with migrations applied on first getDb(). With `AGENTCRON_TEST_DIALECT=pg` (npm run
 * test:unit:pg), also a fresh PostgreSQL database per file, created from the admin URL
 * `AGENTCRON_TEST_PG_URL` and named in `DATABASE_URL`; it is dropped after the file.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createTestPgDatabase, dropTestPgDatabase } from "./support/pg-test-db";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-test-"));
process.env.AGENTCRON_DATA_DIR = dir;
// Agents (Claude Code above all) keep state under HOME; a fresh one per test file keeps the
// machine's own ~/.claude (another Claude Code's shell snapshots, settings) out of the runs.
process.env.HOME = path.join(dir, "home");
fs.mkdirSync(process.env.HOME, { recursive: true });
// The folder holding drizzle/sqlite and drizzle/pg (ADR 0010).
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
// Route tests call 127.0.0.1:3000 with no token: the developer's access settings must not leak in (ADR 0004).
for (const name of ["PORT", "AGENTCRON_TOKEN", "AGENTCRON_ALLOWED_ORIGINS", "AGENTCRON_TRUST_PROXY"]) delete process.env[name];
for (const name of ["SCHEDULE_MAX_CONCURRENT", "SCHEDULE_MAX_RUN_DURATION_SEC", "SCHEDULE_CHAT_PRESSURE_DELAY_SEC"]) {
  delete process.env[name];
}

// A developer's own DATABASE_URL must never reach the tests: only the per-file database below.
delete process.env.DATABASE_URL;
const pgDatabase = process.env.AGENTCRON_TEST_DIALECT === "pg" ? await createTestPgDatabase() : undefined;
if (pgDatabase) {
  process.env.DATABASE_URL = pgDatabase.url;
  // PostgreSQL migrates asynchronously: tests call getDb() and query at once.
  const { dbReady } = await import("@/lib/db/client");
  await dbReady();
}

afterAll(async () => {
  // Everything that still writes goes first: loops a test started (and their runs), and the
  // scheduler boot() installed. Ending the pool under them fails their writes on PostgreSQL.
  const { stopTestSchedulers } = await import("./support/scheduler-harness");
  await stopTestSchedulers();
  const { getSchedulerHandle } = await import("@/lib/scheduler/control");
  await getSchedulerHandle()?.stop();
  // The executor host's worker holds its own connection (pool) to this file's database.
  const { closeExecutorHost } = await import("@/lib/runtimes/executor-host/host");
  await closeExecutorHost();
  const { closeDb } = await import("@/lib/db/client");
  await closeDb();
  if (pgDatabase) await dropTestPgDatabase(pgDatabase);
  fs.rmSync(dir, { recursive: true, force: true });
});
