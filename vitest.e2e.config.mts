import path from "node:path";
import { defineConfig } from "vitest/config";

/** End-to-end tests: real production server + Debian Chromium via playwright-core. */
export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname, "src") } },
  test: {
    include: ["e2e/**/*.spec.ts"],
    // A PostgreSQL server for the multi-instance spec: AGENTCRON_TEST_PG_URL, or a private cluster for this run.
    globalSetup: ["e2e/support/global-setup.ts", "test/support/pg-global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
