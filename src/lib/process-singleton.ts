/**
 * Process-wide singletons. Next.js bundles instrumentation.ts and each route into
 * separate module graphs, and dev hot reload re-evaluates modules, so module-level
 * state would exist several times in one process. Anything that must be unique per
 * process (the DB connection, the scheduler, the active chat streams, running
 * AbortControllers) lives on globalThis under a namespaced key instead.
 */
const store = globalThis as unknown as { __agentcron?: Map<string, unknown> };

/** Returns the value stored under `key`, creating it with `create()` on first use. */
export function processSingleton<T>(key: string, create: () => T): T {
  store.__agentcron ??= new Map();
  if (!store.__agentcron.has(key)) store.__agentcron.set(key, create());
  return store.__agentcron.get(key) as T;
}

/** Drops a singleton so the next `processSingleton` call creates it anew (tests, shutdown). */
export function resetProcessSingleton(key: string): void {
  store.__agentcron?.delete(key);
}
