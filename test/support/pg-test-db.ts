/**
 * Throwaway PostgreSQL databases for tests (ADR 0010): one per test file, created on the
 * server named by `AGENTCRON_TEST_PG_URL` (an admin URL — any role allowed to CREATE
 * DATABASE; `scripts/pg-cluster.sh start` prints one) and dropped after the file.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** A database made by {@link createTestPgDatabase}: its name and a URL that connects to it. */
export interface TestPgDatabase {
  name: string;
  url: string;
}

/** The admin URL, or an error that says how to get one. */
export function testPgAdminUrl(): string {
  const url = process.env.AGENTCRON_TEST_PG_URL;
  if (!url) {
    throw new Error(
      "PostgreSQL tests need AGENTCRON_TEST_PG_URL, the URL of a server where the tests may create databases: " +
        "`export AGENTCRON_TEST_PG_URL=$(scripts/pg-cluster.sh start)` (npm run test:unit:pg starts its own cluster when it is unset).",
    );
  }
  return url;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testPgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database `agentcron_t_<random hex>` and returns its URL (same server, user and options as the admin URL). */
export async function createTestPgDatabase(): Promise<TestPgDatabase> {
  const name = `agentcron_t_${randomBytes(6).toString("hex")}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(testPgAdminUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Drops a test database, ending any connection still open on it (a pool the test forgot). */
export async function dropTestPgDatabase(db: TestPgDatabase): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`));
}
