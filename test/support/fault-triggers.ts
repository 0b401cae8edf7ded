/**
 * Fault injection for tests, on either dialect: a trigger that makes a statement fail with
 * `message` (SQLite `RAISE(ABORT, …)`, PostgreSQL a plpgsql `RAISE EXCEPTION`), and its removal.
 */
import { sql } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { execute } from "@/lib/db/sql";

export interface Fault {
  /** Trigger name (an identifier). */
  name: string;
  table: string;
  /** `INSERT` or `UPDATE OF column`. */
  event: string;
  /** A condition on `NEW.column`s, or omitted for every row. */
  when?: string;
  message: string;
}

/** Installs the failing trigger. */
export async function installFault(db: Db, f: Fault): Promise<void> {
  const message = f.message.replace(/'/g, "''");
  if (db.$dialect === "pg") {
    await execute(db, sql.raw(`CREATE FUNCTION ${f.name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$`));
    await execute(db, sql.raw(`CREATE TRIGGER ${f.name} BEFORE ${f.event} ON ${f.table} FOR EACH ROW ${f.when ? `WHEN (${f.when})` : ""} EXECUTE FUNCTION ${f.name}_fn()`));
    return;
  }
  await execute(db, sql.raw(`CREATE TRIGGER ${f.name} BEFORE ${f.event} ON ${f.table} ${f.when ? `WHEN ${f.when}` : ""} BEGIN SELECT RAISE(ABORT, '${message}'); END`));
}

/** Removes a trigger installed by installFault. */
export async function removeFault(db: Db, f: Pick<Fault, "name" | "table">): Promise<void> {
  if (db.$dialect === "pg") {
    await execute(db, sql.raw(`DROP TRIGGER ${f.name} ON ${f.table}`));
    await execute(db, sql.raw(`DROP FUNCTION ${f.name}_fn()`));
    return;
  }
  await execute(db, sql.raw(`DROP TRIGGER ${f.name}`));
}
