/**
 * Starting the production server (`next start`) the one way `npm start`, `npm run demo`
 * and the e2e tests all use.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { root } from "./build-if-needed.mjs";

/**
 * Spawns `next start -H host -p port` from the project root. NEXT_MANUAL_SIG_HANDLE
 * hands SIGTERM/SIGINT to Agentcron's boot hook, which stops agent runs (and kills
 * their process trees) before the process exits; Next.js would exit at once otherwise.
 * PORT is passed too: the Host allow-list (src/lib/http/access.ts) reads the served port
 * from it (`next start` also sets it once listening). `nodeArgs`: flags for node itself
 * that NODE_OPTIONS refuses, e.g. `--cpu-prof` (bench/server-under-load.ts).
 * @param {{host: string, port: string | number, env?: Record<string, string>, nodeArgs?: string[]} & import("node:child_process").SpawnOptions} opts
 */
export function spawnNextStart({ host, port, env = {}, nodeArgs = [], ...spawnOptions }) {
  return spawn(process.execPath, [...nodeArgs, path.join(root, "node_modules/next/dist/bin/next"), "start", "-H", host, "-p", String(port)], {
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
