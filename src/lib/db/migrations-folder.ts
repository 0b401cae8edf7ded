/**
 * Where each dialect's drizzle-kit migrations live (ADR 0010): `<root>/sqlite` and
 * `<root>/pg`, where `<root>` is `AGENTCRON_MIGRATIONS_DIR` (tests, benches, an install that
 * keeps migrations elsewhere) or `drizzle/` under the working directory.
 */
import path from "node:path";
import { env } from "../env";

/** The two databases Agentcron runs on: embedded SQLite (default) and PostgreSQL (`DATABASE_URL`). */
export type Dialect = "sqlite" | "pg";

/** The folder that holds `sqlite/` and `pg/`: `AGENTCRON_MIGRATIONS_DIR`, default `<cwd>/drizzle`. */
export function migrationsRoot(): string {
  return env().AGENTCRON_MIGRATIONS_DIR || path.join(/* turbopackIgnore: true */ process.cwd(), "drizzle");
}

/**
 * The migrations folder of one dialect (`<root>/sqlite` or `<root>/pg`), as drizzle's
 * migrators take it (`migrationsFolder`: the folder holding `meta/_journal.json`).
 */
export function migrationsFolderFor(dialect: Dialect): string {
  return path.join(migrationsRoot(), dialect);
}
