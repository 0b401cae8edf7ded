/**
 * Separate connection pools on this test file's PostgreSQL database, one per simulated runner
 * (the concurrency tests: each runner its own pool, as separate processes would have). Opened
 * before the file's tests and closed after them.
 */
import { afterAll, beforeAll } from "vitest";
import { openPgHandle, type Db } from "@/lib/db/client";
import { closePgDatabase, type PgDb } from "@/lib/db/pg";

/** Registers the hooks and returns the list the `count` handles are put in (2 connections each). */
export function pgRunnerHandles(count: number, applicationName: string): Db[] {
  const runners: Db[] = [];
  beforeAll(async () => {
    for (const db of await Promise.all(
      Array.from({ length: count }, async () => {
        const { db, ready } = openPgHandle(process.env.DATABASE_URL!, { poolSize: 2, applicationName });
        await ready;
        return db;
      }),
    ))
      runners.push(db);
  });
  afterAll(async () => {
    for (const db of runners.splice(0)) await closePgDatabase(db as unknown as PgDb);
  });
  return runners;
}
