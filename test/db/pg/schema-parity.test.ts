/**
 * Two dialects, one schema meaning (ADR 0010): a PostgreSQL database migrated with
 * drizzle/pg and a SQLite database migrated with drizzle/sqlite have the same tables, the
 * same columns (name, nullability, whether a default fills it, a compatible type), the same
 * primary and foreign keys, and the same indexes (name, uniqueness, partial or not, columns).
 * Read from the databases themselves (SQLite pragmas, PostgreSQL catalogs), not from the
 * schema files, so a hand-written migration that drifts is caught too.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrationsFolderFor } from "@/lib/db/migrations-folder";
import { closePgDatabase, migratePgDatabase, openPgDatabase, type PgDb } from "@/lib/db/pg";

interface Column { name: string; notNull: boolean; hasDefault: boolean; type: string }
interface Index { name: string; unique: boolean; partial: boolean; columns: string[] }
interface ForeignKey { columns: string[]; table: string; to: string[]; onDelete: string }
interface Table { columns: Column[]; primaryKey: string[]; foreignKeys: ForeignKey[]; indexes: Index[] }
type Schema = Record<string, Table>;

/** PostgreSQL types a SQLite column's declared type may become (schema-pg.ts "Type mapping"). */
const TYPE_MAP: Record<string, string[]> = {
  text: ["text", "jsonb"],
  integer: ["integer", "bigint", "boolean"],
  real: ["double precision"],
};

function sqliteSchema(file: string): Schema {
  const db = new Database(file);
  try {
    const tables = (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY name").all() as { name: string; sql: string }[]);
    const out: Schema = {};
    for (const { name, sql: ddl } of tables) {
      const info = db.pragma(`table_info("${name}")`) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
      const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
      // A lone INTEGER PRIMARY KEY is the rowid: SQLite fills it, as an identity column on PostgreSQL.
      const rowid = pk.length === 1 && pk[0].type.toLowerCase() === "integer" ? pk[0].name : null;
      expect(rowid === null || /AUTOINCREMENT/i.test(ddl)).toBe(true);
      const indexes = (db.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string; partial: number }[])
        .filter((i) => i.origin !== "pk")
        .map((i) => ({
          name: i.name,
          unique: i.unique === 1,
          partial: i.partial === 1,
          columns: (db.pragma(`index_info("${i.name}")`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
        }));
      const fks = new Map<number, ForeignKey>();
      for (const fk of db.pragma(`foreign_key_list("${name}")`) as { id: number; table: string; from: string; to: string; on_delete: string }[]) {
        const entry = fks.get(fk.id) ?? { columns: [], table: fk.table, to: [], onDelete: fk.on_delete.toLowerCase() };
        entry.columns.push(fk.from);
        entry.to.push(fk.to);
        fks.set(fk.id, entry);
      }
      out[name] = {
        columns: info.map((c) => ({ name: c.name, notNull: c.notnull === 1 || c.pk > 0, hasDefault: c.dflt_value !== null || c.name === rowid, type: c.type.toLowerCase() })).sort((a, b) => a.name.localeCompare(b.name)),
        primaryKey: pk.map((c) => c.name),
        foreignKeys: [...fks.values()].sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
        indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
      };
    }
    return out;
  } finally {
    db.close();
  }
}

async function pgSchema(db: PgDb): Promise<Schema> {
  const rows = async <T>(q: ReturnType<typeof sql>) => (await db.execute(q)).rows as T[];
  const tables = await rows<{ name: string }>(sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`);
  const out: Schema = {};
  for (const { name } of tables) {
    const columns = await rows<{ name: string; nullable: string; dflt: string | null; identity: string; type: string }>(
      sql`SELECT column_name AS name, is_nullable AS nullable, column_default AS dflt, is_identity AS identity, data_type AS type
          FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ${name}`,
    );
    const pk = await rows<{ name: string }>(
      sql`SELECT a.attname::text AS name FROM pg_index i JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          WHERE i.indrelid = ${name}::regclass AND i.indisprimary ORDER BY k.ord`,
    );
    const indexes = await rows<{ name: string; unique: boolean; partial: boolean; columns: string[] }>(
      sql`SELECT c.relname AS name, i.indisunique AS unique, i.indpred IS NOT NULL AS partial,
                 array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
          WHERE i.indrelid = ${name}::regclass AND NOT i.indisprimary ORDER BY 1`,
    );
    const fks = await rows<{ columns: string[]; table: string; to: string[]; onDelete: string }>(
      sql`SELECT array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
                 c.confrelid::regclass::text AS table,
                 array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS to,
                 CASE c.confdeltype WHEN 'a' THEN 'no action' WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' WHEN 'r' THEN 'restrict' END AS "onDelete"
          FROM pg_constraint c WHERE c.conrelid = ${name}::regclass AND c.contype = 'f'`,
    );
    out[name] = {
      columns: columns.map((c) => ({ name: c.name, notNull: c.nullable === "NO", hasDefault: c.dflt !== null || c.identity === "YES", type: c.type })).sort((a, b) => a.name.localeCompare(b.name)),
      primaryKey: pk.map((c) => c.name),
      foreignKeys: fks.sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
      indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }
  return out;
}

describe("schema parity: migrated PostgreSQL vs migrated SQLite", () => {
  let db: PgDb;
  let lite: Schema;
  let pg: Schema;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-parity-"));

  beforeAll(async () => {
    const file = path.join(dir, "agentcron.db");
    const sqlite = new Database(file);
    migrate(drizzle(sqlite), { migrationsFolder: migrationsFolderFor("sqlite") });
    sqlite.close();
    lite = sqliteSchema(file);
    db = openPgDatabase(process.env.DATABASE_URL!);
    await migratePgDatabase(db);
    pg = await pgSchema(db);
  });
  afterAll(async () => {
    await closePgDatabase(db);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("has the same tables", () => {
    expect(Object.keys(pg).sort()).toEqual(Object.keys(lite).sort());
    expect(Object.keys(lite)).toContain("tasks");
    // 13 + the notification tables (channels, events, deliveries, attempts).
    expect(Object.keys(lite).length).toBe(17);
  });

  it("has, per table, the same columns, keys and indexes, with types the mapping allows", () => {
    const strip = (s: Schema) => Object.fromEntries(Object.entries(s).map(([t, v]) => [t, { ...v, columns: v.columns.map(({ type: _type, ...c }) => c) }]));
    expect(strip(pg)).toEqual(strip(lite));
    const badTypes = Object.entries(lite).flatMap(([table, t]) =>
      t.columns.flatMap((c) => {
        const pgType = pg[table]?.columns.find((x) => x.name === c.name)?.type ?? "missing";
        return (TYPE_MAP[c.type] ?? []).includes(pgType) ? [] : [`${table}.${c.name}: ${c.type} → ${pgType}`];
      }),
    );
    expect(badTypes).toEqual([]);
  });

  it("keeps the one-root-task-per-occurrence index unique and partial on both", () => {
    const expected = { name: "tasks_occurrence_unique", unique: true, partial: true, columns: ["schedule_id", "planned_at"] };
    expect(lite.tasks.indexes).toContainEqual(expected);
    expect(pg.tasks.indexes).toContainEqual(expected);
  });
});
