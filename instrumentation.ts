/**
 * Next.js boot hook. Runs once per server process before requests are served; the
 * Node-only work (SQLite, child processes) is imported only on the Node runtime.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // A bad variable stops the process here, with one line naming it (src/lib/env.ts).
    (await import("./src/lib/env")).refuseBadEnvironment();
    (await import("./src/lib/http/exposure-guard")).refuseUnsafeExposure();
    const { boot } = await import("./src/lib/boot");
    await boot();
  }
}
