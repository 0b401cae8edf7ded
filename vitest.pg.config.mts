import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

/**
 * The unit suite on PostgreSQL (`npm run test:unit:pg`, ADR 0010): every test file gets its
 * own database on a real server (test/setup.ts), and `DATABASE_URL` names it.
 *
 * Every file runs on both dialects but the three below, which test SQLite itself. (A single
 * SQLite-only assertion inside a file is skipped there with its reason, e.g. the per-connection
 * prepared statements in test/scheduler/start-on-time.test.ts.)
 */
export const NOT_ON_PG = [
  // SQLite's EXPLAIN plans (PostgreSQL's: test/db/pg/history-plans.test.ts) and its migration
  // folder upgraded in place.
  "test/history-plans.test.ts",
  "test/db/sqlite-upgrade-in-place.test.ts",
  // A thread that checkpoints a SQLite file's WAL (ADR 0034), on files of its own.
  "test/db/wal-checkpointer.test.ts",
];

// Spread, not mergeConfig: mergeConfig concatenates arrays, and `include` must be replaced.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // The SQLite run's files plus test/db/pg (which needs a server, so the SQLite run excludes it).
    include: [...(base.test?.include ?? []), "test/db/pg/**/*.test.ts"],
    exclude: ["**/node_modules/**", ...NOT_ON_PG],
    env: { AGENTCRON_TEST_DIALECT: "pg" },
    globalSetup: ["test/support/pg-global-setup.ts"],
  },
});
