/**
 * Moving the SQLite migrations from drizzle/ to drizzle/sqlite/ (ADR 0010) must not touch
 * existing databases: drizzle's SQLite migrator applies every journal entry whose `when`
 * (created_at) is newer than the last row of __drizzle_migrations, so the moved files must
 * keep their journal entries. A database built by commit 7ab203f's migrations (the last
 * commit with the flat drizzle/ folder, kept as a fixture), holding rows of every table, is
 * migrated with today's folder: nothing is re-applied and no row changes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, describe, expect, it } from "vitest";
import { migrationsFolderFor } from "@/lib/db/migrations-folder";

const REPO = path.resolve(__dirname, "../..");
const FLAT_LAYOUT_COMMIT = "7ab203f";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-upgrade-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * drizzle/ as it was at FLAT_LAYOUT_COMMIT: its SQL files and journal, kept as a fixture
 * (test/fixtures/drizzle-flat-7ab203f; drizzle's migrator reads nothing else), so the test
 * needs no git history (CI may clone shallow).
 */
function oldMigrationsFolder(): string {
  const dir = path.join(REPO, "test/fixtures/drizzle-flat-" + FLAT_LAYOUT_COMMIT);
  expect(fs.existsSync(path.join(dir, "meta", "_journal.json"))).toBe(true);
  return dir;
}

const T0 = Date.UTC(2026, 0, 1);

/** Rows of every table the old schema has, the way the app writes them. */
function fill(sqlite: Database.Database): void {
  const run = (sql: string, ...params: unknown[]) => sqlite.prepare(sql).run(...params);
  run("INSERT INTO runtimes (id, name, kind, config, is_default, created_at, updated_at) VALUES ('rt', 'Claude', 'claude_sdk', '{\"model\":\"x\"}', 1, ?, ?)", T0, T0);
  run(
    "INSERT INTO schedules (id, name, prompt, cron_expression, timezone, runtime_id, status, max_turns, max_firings, expires_at, firing_count, next_fire_at, last_planned_at, avg_turns_per_firing, created_at, updated_at) VALUES ('s1', 'Nightly', 'do it', '0 3 * * *', 'Europe/Paris', 'rt', 'active', 12, 100, ?, 7, ?, ?, 3.5, ?, ?)",
    T0 + 86_400_000, T0 + 3_600_000, T0, T0, T0,
  );
  const task = sqlite.prepare(
    "INSERT INTO tasks (id, schedule_id, title, prompt, status, source_type, root_source_type, planned_at, attempt, parent_task_id, max_turns, turn_count, forced, cost_usd, agent_process_groups, agent_host, created_at) VALUES (?, ?, 't', 'p', ?, ?, ?, ?, ?, ?, 12, 3, ?, 0.25, ?, ?, ?)",
  );
  task.run("t1", "s1", "completed", "scheduled", "scheduled", T0, 1, null, 0, null, null, T0);
  task.run("t2", "s1", "failed", "scheduled", "scheduled", T0 + 60_000, 1, null, 0, null, null, T0 + 1);
  task.run("t3", "s1", "running", "retry", "scheduled", T0 + 60_000, 2, "t2", 0, '[{"pgid":4242,"startTime":987654}]', "host:1", T0 + 2);
  task.run("t4", null, "queued", "manual", "manual", null, 1, null, 1, null, null, T0 + 3);
  run("INSERT INTO task_events (task_id, type, payload, created_at) VALUES ('t1', 'assistant', '{\"text\":\"hi\"}', ?)", T0);
  run(
    "INSERT INTO schedule_firing_metrics (schedule_id, task_id, fired_at, planned_at, slot_claimed_at, completed_at, lateness_ms, slot_wait_ms, duration_ms, turn_count, max_turns_at_firing, event_loop_lag_ms, peak_rss_mb, chat_streams_active, concurrent_schedules) VALUES ('s1', 't1', ?, ?, ?, ?, 120, 40, 5000, 3, 12, 1.5, 210.25, 0, 1)",
    T0 + 120, T0, T0 + 160, T0 + 5160,
  );
  run("INSERT INTO events (kind, schedule_id, task_id, message, data, created_at) VALUES ('task.completed', 's1', 't1', 'done', '{\"turns\":3}', ?)", T0);
  run("INSERT INTO runners (id, pid, hostname, started_at, heartbeat_at, host_key, process_start_time) VALUES ('r1', 4242, 'box', ?, ?, 'box:ns', 123456)", T0, T0);
  run("INSERT INTO settings (key, value, updated_at) VALUES ('maxConcurrent', '3', ?)", T0);
  run("INSERT INTO chat_conversations (id, title, runtime_id, created_at, updated_at) VALUES ('c1', 'Chat', 'rt', ?, ?)", T0, T0);
  run("INSERT INTO chat_messages (id, conversation_id, role, content, status, created_at, updated_at) VALUES ('m1', 'c1', 'user', 'hello', 'complete', ?, ?)", T0, T0);
}

/** Every row of every table (counters and drizzle's bookkeeping included), in a stable order. */
function dump(sqlite: Database.Database): Record<string, unknown[]> {
  const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
  return Object.fromEntries(tables.map(({ name }) => [name, sqlite.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all()]));
}

function schemaOf(sqlite: Database.Database): unknown[] {
  return sqlite.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").all();
}

describe("an existing SQLite database after the move to drizzle/sqlite", () => {
  it("keeps every migration, row and schema object: nothing is re-applied", () => {
    const file = path.join(tmp, "agentcron.db");
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: oldMigrationsFolder() });
    fill(old);
    const before = { rows: dump(old), schema: schemaOf(old) };
    old.close();
    expect((before.rows.__drizzle_migrations as unknown[]).length).toBe(7);
    expect(before.rows.task_status_counts).toEqual(
      expect.arrayContaining([expect.objectContaining({ status: "running", n: 1 }), expect.objectContaining({ status: "queued", n: 1 })]),
    );

    // drizzle/sqlite as far as the flat folder went (later migrations are new work, below).
    const moved = path.join(tmp, "moved");
    fs.cpSync(migrationsFolderFor("sqlite"), moved, { recursive: true });
    const journal = JSON.parse(fs.readFileSync(path.join(moved, "meta/_journal.json"), "utf8")) as { entries: unknown[] };
    fs.writeFileSync(path.join(moved, "meta/_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.slice(0, 7) }));
    const reopened = new Database(file);
    migrate(drizzle(reopened), { migrationsFolder: moved });
    const after = { rows: dump(reopened), schema: schemaOf(reopened) };
    // Still writable through the moved migrations' triggers.
    reopened.prepare("UPDATE tasks SET status = 'completed' WHERE id = 't3'").run();
    const counts = reopened.prepare("SELECT status, n FROM task_status_counts WHERE n > 0 ORDER BY status").all();
    reopened.close();

    expect(after).toEqual(before);
    expect(counts).toEqual([
      { status: "completed", n: 2 },
      { status: "failed", n: 1 },
      { status: "queued", n: 1 },
    ]);
  });

  it("then takes the migrations made since (e.g. 0007 runner profile), keeping every row", () => {
    const file = path.join(tmp, "newer.db");
    const old = new Database(file);
    migrate(drizzle(old), { migrationsFolder: oldMigrationsFolder() });
    fill(old);
    const before = dump(old);
    old.close();

    const reopened = new Database(file);
    migrate(drizzle(reopened), { migrationsFolder: migrationsFolderFor("sqlite") });
    const after = dump(reopened);
    reopened.close();
    const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolderFor("sqlite"), "meta/_journal.json"), "utf8")) as { entries: unknown[] };
    expect(after.__drizzle_migrations).toHaveLength(journal.entries.length);
    expect(journal.entries.length).toBeGreaterThan(7);
    for (const [table, rows] of Object.entries(before)) {
      if (table === "__drizzle_migrations") continue;
      // Each old row is still there with its old values (new columns take their defaults).
      expect(after[table], table).toHaveLength(rows.length);
      rows.forEach((row, i) => expect(after[table][i], table).toMatchObject(row as object));
    }
    expect(after.runners.every((r) => (r as { kind: string }).kind === "web")).toBe(true);
  });

  it("finds today's drizzle/sqlite under AGENTCRON_MIGRATIONS_DIR, the folder that holds sqlite/ and pg/", () => {
    expect(migrationsFolderFor("sqlite")).toBe(path.join(REPO, "drizzle", "sqlite"));
    expect(migrationsFolderFor("pg")).toBe(path.join(REPO, "drizzle", "pg"));
    for (const dialect of ["sqlite", "pg"] as const) expect(fs.existsSync(path.join(migrationsFolderFor(dialect), "meta", "_journal.json"))).toBe(true);
  });
});
