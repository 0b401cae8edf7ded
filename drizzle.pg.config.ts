import { defineConfig } from "drizzle-kit";

// PostgreSQL migrations, generated from the mirror schema (ADR 0010). SQLite's: drizzle.config.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/lib/db/schema-pg.ts",
  out: "./drizzle/pg",
});
