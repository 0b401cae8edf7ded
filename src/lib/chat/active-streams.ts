import "server-only";
import { processSingleton } from "../process-singleton";

/**
 * The set of chat streams in flight in this process (DESIGN.md "chat pressure").
 * The chat engine registers a stream when it starts and unregisters it in the same
 * `finally`; the scheduler's drain holds back new scheduled starts while the set is
 * non-empty and is woken when it empties. Process-wide (globalThis): instrumentation
 * and routes are separate bundles.
 */
interface ActiveStreams {
  ids: Set<string>;
  emptyListeners: Set<() => void>;
}

const state = () => processSingleton<ActiveStreams>("active-streams", () => ({ ids: new Set(), emptyListeners: new Set() }));

/** Marks a chat stream as in flight. */
export function registerStream(id: string): void {
  state().ids.add(id);
}

/** Marks a chat stream as finished; wakes `onStreamsEmpty` listeners when none remain. */
export function unregisterStream(id: string): void {
  const s = state();
  if (!s.ids.delete(id)) return;
  if (s.ids.size === 0) {
    for (const listener of s.emptyListeners) {
      try {
        listener();
      } catch (err) {
        console.error("[agentcron] active-streams listener failed", err);
      }
    }
  }
}

/** Number of chat streams in flight. */
export function activeStreamCount(): number {
  return state().ids.size;
}

/** Calls `listener` each time the set becomes empty; returns an unsubscribe function. */
export function onStreamsEmpty(listener: () => void): () => void {
  state().emptyListeners.add(listener);
  return () => state().emptyListeners.delete(listener);
}
