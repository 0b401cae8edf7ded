/**
 * Starting the production server (`next start`) the one way `npm start`, `npm run demo`
 * and the e2e tests all use.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { root } from "./build-if-needed.mjs";

/**
 * V8 flags of every Agentcron server and worker process (ADR 0035): a young generation of one
 * fixed size (two 8 MiB semi-spaces). V8 starts a major collection once the room left under
 * its old-generation limit is no more than the young generation's capacity; with a young
 * generation that grows and shrinks (V8's default, 1–16 MiB), a burst that grows it can start
 * one at once, right after a quiet-window collection. Fixed, the next one stays ≥ 8 MiB of
 * growth away, and the scheduler's quiet-window collections come first. package.json's
 * `worker` and `bench:start` scripts pass the same flags (test/scheduler/quiet-collection.test.ts
 * checks them, and that they reach the process started here).
 */
export const V8_HEAP_FLAGS = ["--min-semi-space-size=8", "--max-semi-space-size=8"];

/**
 * Spawns `next start -H host -p port` from the project root. NEXT_MANUAL_SIG_HANDLE
 * hands SIGTERM/SIGINT to Agentcron's boot hook, which stops agent runs (and kills
 * their process trees) before the process exits; Next.js would exit at once otherwise.
 * PORT is passed too: the Host allow-list (src/lib/http/access.ts) reads the served port
 * from it (`next start` also sets it once listening). Node runs with V8_HEAP_FLAGS; `nodeArgs`: more
 * flags for node itself that NODE_OPTIONS refuses, e.g. `--cpu-prof` (bench/server-under-load.ts).
 * @param {{host: string, port: string | number, env?: Record<string, string>, nodeArgs?: string[]} & import("node:child_process").SpawnOptions} opts
 */
export function spawnNextStart({ host, port, env = {}, nodeArgs = [], ...spawnOptions }) {
  return spawn(process.execPath, [...V8_HEAP_FLAGS, ...nodeArgs, path.join(root, "node_modules/next/dist/bin/next"), "start", "-H", host, "-p", String(port)], {
    cwd: root,
    stdio: "inherit",
    ...spawnOptions,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NEXT_MANUAL_SIG_HANDLE: "true", PORT: String(port), ...env },
  });
}

/** Resolves once GET `${baseURL}/api/health` answers 200; rejects after `timeoutMs`. */
export async function waitForHealth(baseURL, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${baseURL}/api/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the app did not become healthy at ${baseURL}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
