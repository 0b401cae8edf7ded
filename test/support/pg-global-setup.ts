/**
 * Global setup of `npm run test:unit:pg`: uses the server in AGENTCRON_TEST_PG_URL (CI's
 * .ci/run starts one), or else starts a private cluster for this run with
 * scripts/pg-cluster.sh (PostgreSQL 15 binaries needed) and stops it afterwards.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SCRIPT = path.resolve(import.meta.dirname, "../../scripts/pg-cluster.sh");

export default function setup(): (() => void) | undefined {
  if (process.env.AGENTCRON_TEST_PG_URL) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-test-pg-"));
  const env = { ...process.env, PG_CLUSTER_DIR: dir };
  const url = execFileSync(SCRIPT, ["start"], { env, encoding: "utf8" }).trim();
  process.env.AGENTCRON_TEST_PG_URL = url;
  return () => {
    execFileSync(SCRIPT, ["stop"], { env, stdio: "inherit" });
  };
}
