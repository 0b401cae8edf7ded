/**
 * schema-pg.ts mirrors schema.ts (ADR 0010): row types are structurally identical for every
 * table (checked by tsc: `npm run typecheck` fails on a drift), and the table definitions
 * agree on column names, nullability, defaults, primary keys, foreign keys and indexes
 * (checked here at run time, without a database; the migrated databases are compared by
 * schema-parity.test.ts).
 */
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import type { PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import * as lite from "@/lib/db/schema";
import * as pg from "@/lib/db/schema-pg";

/** true iff A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Same<A, B> = Equal<A, B> extends true ? true : { drift: [A, B] };
type Tables = "runtimes" | "schedules" | "tasks" | "taskEvents" | "scheduleFiringMetrics" | "taskStatusCounts" | "scheduleTaskCounts" | "firingHistograms" | "events" | "runners" | "settings" | "chatConversations" | "chatMessages" | "hookIdempotencyKeys" | "concurrencyGroups" | "scheduleUsageRollups" | "scheduleOutcomeCounts" | "budgetBreaches" | "notificationChannels" | "notificationEvents" | "notificationDeliveries" | "notificationAttempts";
type SelectParity = { [K in Tables]: Same<(typeof pg)[K]["$inferSelect"], (typeof lite)[K]["$inferSelect"]> };
type InsertParity = { [K in Tables]: Same<(typeof pg)[K]["$inferInsert"], (typeof lite)[K]["$inferInsert"]> };
/** The tables whose types differ; `never` when none do. */
type Drifted<T> = { [K in keyof T]: T[K] extends true ? never : K }[keyof T];
type NoDrift<T> = [Drifted<T>] extends [never] ? true : { drifted: Drifted<T> };

// Compile-time: every table's select and insert row types are identical on both dialects.
const selectRows: NoDrift<SelectParity> = true;
const insertRows: NoDrift<InsertParity> = true;
// The named row types the app imports, spelled out.
const named: [
  Same<typeof pg.tasks.$inferSelect, lite.TaskRow>,
  Same<typeof pg.tasks.$inferInsert, lite.NewTaskRow>,
  Same<typeof pg.schedules.$inferSelect, lite.ScheduleRow>,
  Same<typeof pg.schedules.$inferInsert, lite.NewScheduleRow>,
  Same<typeof pg.runtimes.$inferSelect, lite.RuntimeRow>,
  Same<typeof pg.taskEvents.$inferSelect, lite.TaskEventRow>,
  Same<typeof pg.scheduleFiringMetrics.$inferSelect, lite.FiringMetricRow>,
  Same<typeof pg.events.$inferSelect, lite.EventRow>,
  Same<typeof pg.firingHistograms.$inferSelect, lite.FiringHistogramRow>,
  Same<typeof pg.runners.$inferSelect, lite.RunnerRow>,
  Same<typeof pg.chatConversations.$inferSelect, lite.ChatConversationRow>,
  Same<typeof pg.chatMessages.$inferSelect, lite.ChatMessageRow>,
  Same<typeof pg.hookIdempotencyKeys.$inferSelect, lite.HookIdempotencyKeyRow>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];

const TABLES: Tables[] = ["runtimes", "schedules", "tasks", "taskEvents", "scheduleFiringMetrics", "taskStatusCounts", "scheduleTaskCounts", "firingHistograms", "events", "runners", "settings", "chatConversations", "chatMessages", "hookIdempotencyKeys", "concurrencyGroups", "scheduleUsageRollups", "scheduleOutcomeCounts", "budgetBreaches", "notificationChannels", "notificationEvents", "notificationDeliveries", "notificationAttempts"];

function describeLite(t: SQLiteTable) {
  const c = sqliteConfig(t);
  return {
    name: c.name,
    // An AUTOINCREMENT key is filled in by SQLite, as an identity column is by PostgreSQL.
    columns: c.columns.map((col) => ({ name: col.name, notNull: col.notNull, hasDefault: col.hasDefault || (col as { autoIncrement?: boolean }).autoIncrement === true, primary: col.primary })),
    primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
    foreignKeys: c.foreignKeys.map((fk) => ({ ...fk.reference(), onDelete: fk.onDelete ?? "no action" })).map((r) => ({ columns: r.columns.map((x) => x.name), to: r.foreignColumns.map((x) => x.name), onDelete: r.onDelete })),
    indexes: c.indexes.map((i) => ({ name: i.config.name, unique: i.config.unique, partial: i.config.where !== undefined, columns: i.config.columns.map((x) => (x as { name: string }).name) })),
  };
}

function describePg(t: PgTable) {
  const c = pgConfig(t);
  return {
    name: c.name,
    columns: c.columns.map((col) => ({ name: col.name, notNull: col.notNull, hasDefault: col.hasDefault || col.generatedIdentity !== undefined, primary: col.primary })),
    primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
    foreignKeys: c.foreignKeys.map((fk) => ({ ...fk.reference(), onDelete: fk.onDelete ?? "no action" })).map((r) => ({ columns: r.columns.map((x) => x.name), to: r.foreignColumns.map((x) => x.name), onDelete: r.onDelete })),
    indexes: c.indexes.map((i) => ({ name: i.config.name, unique: i.config.unique, partial: i.config.where !== undefined, columns: i.config.columns.map((x) => (x as { name: string }).name) })),
  };
}

describe("schema-pg.ts mirrors schema.ts", () => {
  it("has row types identical to SQLite's for every table (compile time)", () => {
    expect([selectRows, insertRows, ...named].every((x) => x === true)).toBe(true);
  });

  it.each(TABLES)("%s: same columns, keys, foreign keys and indexes", (table) => {
    const a = describeLite(lite[table] as unknown as SQLiteTable);
    const b = describePg(pg[table] as unknown as PgTable);
    expect(b).toEqual(a);
  });

  it("exports exactly the same tables", () => {
    const tableNames = (mod: Record<string, unknown>) =>
      Object.entries(mod)
        .filter(([, v]) => typeof v === "object" && v !== null && Symbol.for("drizzle:IsDrizzleTable") in v)
        .map(([k]) => k)
        .sort();
    expect(tableNames(pg)).toEqual(tableNames(lite));
    expect(tableNames(pg)).toEqual([...TABLES].sort());
  });
});
