/**
 * The task_root_source_type migration backfills existing rows: a manual task and every
 * retry in its chain become manual-rooted; scheduled chains stay scheduled.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { describe, expect, it } from "vitest";
import { openDatabase } from "@/lib/db/client";

const DRIZZLE = path.resolve(__dirname, "../../drizzle/sqlite");
const TAG = "task_root_source_type";

/** A copy of drizzle/sqlite/ whose journal stops before this migration. */
function migrationsBefore(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-mig-"));
  fs.cpSync(DRIZZLE, dir, { recursive: true });
  const journalFile = path.join(dir, "meta", "_journal.json");
  const journal = JSON.parse(fs.readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag.endsWith(TAG));
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

describe("migration task_root_source_type", () => {
  it("backfills root_source_type along retry chains", async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-mig-db-")), "agentcron.db");
    const db = openDatabase(file);
    migrate(db, { migrationsFolder: migrationsBefore() });
    const insert = db.$client.prepare(
      "INSERT INTO tasks (id, schedule_id, title, prompt, status, source_type, planned_at, attempt, parent_task_id, max_turns, created_at) VALUES (?, 's', 't', 'p', 'failed', ?, ?, ?, ?, 10, 0)",
    );
    insert.run("m1", "manual", null, 1, null);
    insert.run("m2", "retry", null, 2, "m1");
    insert.run("m3", "retry", null, 3, "m2");
    insert.run("s1", "scheduled", 1000, 1, null);
    insert.run("s2", "retry", 1000, 2, "s1");
    insert.run("orphan", "retry", 2000, 2, "gone");
    migrate(db, { migrationsFolder: DRIZZLE });
    const rows = db.$client.prepare("SELECT id, root_source_type AS r FROM tasks ORDER BY id").all();
    expect(rows).toEqual([
      { id: "m1", r: "manual" },
      { id: "m2", r: "manual" },
      { id: "m3", r: "manual" },
      { id: "orphan", r: "scheduled" },
      { id: "s1", r: "scheduled" },
      { id: "s2", r: "scheduled" },
    ]);
    db.$client.close();
  });
});
