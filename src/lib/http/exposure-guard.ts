import { listenHostOf, startRefusal } from "./access-config.mjs";

/**
 * Stops a server that must not run (ADR 0004): listening beyond loopback without
 * AGENTCRON_TOKEN, or a malformed access variable. Prints the one-line reason and exits
 * with code 1. Called first thing by the boot hook (instrumentation.ts), so plain
 * `next start` is held to the same rule as `npm start` (which checks before building).
 */
export function refuseUnsafeExposure(): void {
  const reason = startRefusal(process.env, listenHostOf(process.argv, process.env));
  if (!reason) return;
  console.error(reason);
  process.exit(1);
}
