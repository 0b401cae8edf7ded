/**
 * The SQLite statement cache (db/statement-cache.ts): a text SQLite compiled once is not
 * compiled again, each caller keeps its own raw mode on the shared statement (drizzle sets it
 * for selects with mapped fields and relies on it being off elsewhere), DDL is not kept, the
 * LRU bound holds, and the app's connections have it. Real SQLite files.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { schedules } from "@/lib/db/schema";
import { installStatementCache, statementCacheStats } from "@/lib/db/statement-cache";
import { makeSchedule, truncateAll } from "../factories";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh SQLite file with the cache installed, and a count of SQLite compiles by text. */
function cachedFile(max?: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-stmt-cache-"));
  dirs.push(dir);
  const sqlite = new Database(path.join(dir, "t.db"));
  const compiles = new Map<string, number>();
  const compile = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((text: string) => {
    compiles.set(text, (compiles.get(text) ?? 0) + 1);
    return compile(text);
  }) as typeof sqlite.prepare;
  installStatementCache(sqlite, max);
  return { sqlite, compiles };
}

describe("statement cache", () => {
  it("compiles a text once and runs it again with new parameters", () => {
    const { sqlite, compiles } = cachedFile();
    sqlite.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    for (let i = 0; i < 5; i++) sqlite.prepare("INSERT INTO t (id, name) VALUES (?, ?)").run(i, `n${i}`);
    expect(sqlite.prepare("SELECT name FROM t WHERE id = ?").get(3)).toEqual({ name: "n3" });
    expect(sqlite.prepare("SELECT name FROM t WHERE id = ?").get(4)).toEqual({ name: "n4" });
    expect(compiles.get("INSERT INTO t (id, name) VALUES (?, ?)")).toBe(1);
    expect(compiles.get("SELECT name FROM t WHERE id = ?")).toBe(1);
    expect(sqlite.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 5 });
  });

  it("keeps each caller's raw mode: one handle's raw() does not turn another's rows into arrays", () => {
    const { sqlite } = cachedFile();
    sqlite.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a')");
    const text = "SELECT id, name FROM t";
    const arrays = sqlite.prepare(text).raw();
    const objects = sqlite.prepare(text);
    expect(arrays.all()).toEqual([[1, "a"]]);
    expect(objects.all()).toEqual([{ id: 1, name: "a" }]);
    expect(arrays.get()).toEqual([1, "a"]);
    expect(objects.get()).toEqual({ id: 1, name: "a" });
    expect([...objects.iterate()]).toEqual([{ id: 1, name: "a" }]);
    const plucked = sqlite.prepare(text).pluck();
    expect(plucked.all()).toEqual([1]);
    expect(arrays.get()).toEqual([1, "a"]);
    expect(objects.get()).toEqual({ id: 1, name: "a" });
    expect(plucked.raw().get()).toEqual([1, "a"]); // raw turns this handle's pluck off, as better-sqlite3's does
    // raw() on a statement that returns no data still throws, as better-sqlite3's does.
    expect(() => sqlite.prepare("UPDATE t SET name = 'b'").raw()).toThrow(/raw\(\)/);
  });

  it("does not keep DDL, and drops the least recently used text past its bound", () => {
    const { sqlite, compiles } = cachedFile(2);
    sqlite.prepare("CREATE TABLE t (id INTEGER)").run();
    expect(() => sqlite.prepare("CREATE TABLE t (id INTEGER)").run()).toThrow(/already exists/);
    expect(compiles.get("CREATE TABLE t (id INTEGER)")).toBe(2);
    const texts = ["SELECT 1 AS a", "SELECT 2 AS a", "SELECT 3 AS a"];
    for (const t of texts) sqlite.prepare(t).get();
    sqlite.prepare(texts[2]).get();
    sqlite.prepare(texts[0]).get(); // evicted by the third: compiled again
    expect(texts.map((t) => compiles.get(t))).toEqual([2, 1, 1]);
  });

  it("is on the app's connections: drizzle's builder and raw sql reuse statements and read the right shapes", async () => {
    await truncateAll();
    const db = getDb();
    if (db.$dialect !== "sqlite") return; // the cache is SQLite's (PostgreSQL plans named statements, ADR 0026)
    const s = await makeSchedule({ name: "cached" });
    const client = db.$client as Database.Database;
    const readBoth = () => {
      // The builder with mapped fields (raw mode) and raw sql (object rows).
      expect(db.select({ name: schedules.name }).from(schedules).all()).toEqual([{ name: "cached" }]);
      expect(db.all(sql`SELECT name FROM schedules WHERE id = ${s.id}`)).toEqual([{ name: "cached" }]);
    };
    readBoth();
    const before = statementCacheStats(client)!;
    for (let i = 0; i < 3; i++) readBoth();
    const after = statementCacheStats(client)!;
    expect(after.compiles).toBe(before.compiles);
    expect(after.hits).toBe(before.hits + 6);
  });
});
