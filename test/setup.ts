/**
 * Per test file: a fresh temp data directory, so every file gets its own real SQLite
 * file with migrations applied on first getDb().
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-test-"));
process.env.AGENTCRON_DATA_DIR = dir;
// Agents (Claude Code above all) keep state under HOME; a fresh one per test file keeps the
// machine's own ~/.claude (another Claude Code's shell snapshots, settings) out of the runs.
process.env.HOME = path.join(dir, "home");
fs.mkdirSync(process.env.HOME, { recursive: true });
process.env.AGENTCRON_MIGRATIONS_DIR = path.resolve(__dirname, "../drizzle");
// Route tests call 127.0.0.1:3000 with no token: the developer's access settings must not leak in (ADR 0004).
for (const name of ["PORT", "AGENTCRON_TOKEN", "AGENTCRON_ALLOWED_ORIGINS", "AGENTCRON_TRUST_PROXY"]) delete process.env[name];
for (const name of ["SCHEDULE_MAX_CONCURRENT", "SCHEDULE_MAX_RUN_DURATION_SEC", "SCHEDULE_CHAT_PRESSURE_DELAY_SEC"]) {
  delete process.env[name];
}

afterAll(async () => {
  const { closeDb } = await import("@/lib/db/client");
  closeDb();
  fs.rmSync(dir, { recursive: true, force: true });
});
