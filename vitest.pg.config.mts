import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

/**
 * The unit suite on PostgreSQL (`npm run test:unit:pg`, ADR 0010): every test file gets its
 * own database on a real server (test/setup.ts), and `DATABASE_URL` names it. PG_SUITE lists
 * the files that run on PostgreSQL so far; widen it as the data layer moves (issue 14) until
 * it is the whole `include` of vitest.config.mts.
 */
export const PG_SUITE = [
  // Needs a PostgreSQL server (excluded from the SQLite run).
  "test/db/pg/**/*.test.ts",
  // Dialect-neutral checks of the schema pair.
  "test/db/pg-schema-types.test.ts",
  // Suites whose code is on the data layer (src/lib/db/queries).
  "test/settings.test.ts",
  // q-plan: planning's code is on the layer, and its concurrency test is test/db/pg/concurrent-planning.test.ts.
  // Waiting on other branches before they can be listed: test/scheduler/{occurrences,policies,loop,
  // clock-jumps,start-on-time}.test.ts (registerRunner, q-slots), test/scheduler/dst.test.ts
  // (runtimes service, q-entities).
  // q-tasks: task reads/history/detail/cancel, task event stream, metrics, onboarding.
  "test/metrics.test.ts",
  "test/task-reads.test.ts",
  "src/lib/http/task-event-stream.test.ts",
  // Schedules, runtimes and chat (queries/schedules.ts, runtimes.ts, chat.ts).
  "test/runtimes-api.test.ts",
  "test/agent-env-security.test.ts",
  "src/lib/schedules/collisions.test.ts",
  "src/lib/schedules/calibration.test.ts",
  "test/schedules-api.test.ts",
  "test/schedules-list.test.ts",
  "test/input-bounds.test.ts",
  "test/scheduler/dst.test.ts",
  "test/worker.test.ts",
  // Task lifecycle (q-slots): agent-process records and the executor's batched event flush.
  // The scheduler tests of the lifecycle (slots, leases, manual-lease, retries, crash-restart,
  // usage-kept) join when the planner, loop and firing metrics are on the data layer too.
  "test/db/task-lifecycle-queries.test.ts",
  "test/runtimes/process-ownership.test.ts",
  "test/task-executor-deltas.test.ts",
];

// Spread, not mergeConfig: mergeConfig concatenates arrays, and `include` must be replaced.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: PG_SUITE,
    exclude: ["**/node_modules/**"],
    env: { AGENTCRON_TEST_DIALECT: "pg" },
    globalSetup: ["test/support/pg-global-setup.ts"],
  },
});
