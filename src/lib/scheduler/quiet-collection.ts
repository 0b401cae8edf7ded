/**
 * Major garbage collections in the scheduler's quiet windows (issue 15 item 0, ADR 0035).
 *
 * V8 starts a major collection (incremental Mark-Compact) when the old generation grows past
 * a limit set at the last one — on a server that allocates slowly, only ~5–10 % above the live
 * heap (V8's growing factor falls to its minimum of 1.1 when the collector is fast next to
 * the mutator, plus a floor of a few MB). The old generation grows when objects are promoted,
 * which happens while the program allocates: during a burst of claims and launches. So the
 * collection nearly always starts inside a burst and takes its marking steps and its final
 * pause (~20–40 ms of work on the thread) inside that burst's launches: on this machine
 * (2026-12-04) one burst a minute started 15–40 ms later than the others, on either thread of
 * the launch path (the main thread claims and hands runs over; the executor host's thread
 * asks the spawners).
 *
 * The scheduler knows when it is quiet: nothing due for a while, no pass or launch in flight,
 * no chat streaming. This module lets it collect THEN, when the old generation has grown
 * enough since the last major collection that V8's own would come soon (`collectIfGrown`):
 * the collection happens, but in a window where no agent waits on it, and V8's limit is set
 * again from the live heap, so its own collection does not come during the next bursts.
 *
 * Per thread (each worker thread has its own heap and its own copy of this module's state).
 * V8's `gc` is exposed at run time with `v8.setFlagsFromString("--expose-gc")` and read from
 * a fresh context; if that ever fails, `collectIfGrown` does nothing (V8 collects as before).
 */
import v8 from "node:v8";
import vm from "node:vm";
import type { QuietCollectionCountsDto } from "../api-types";
import { QUIET_COLLECT_GROWTH_BYTES } from "./tuning";

/** A thread's major collections forced in quiet windows: how many, and their pauses (ms, wall time of the `gc()` call), summed and the longest. */
export interface QuietCollectionCounts {
  collections: number;
  pauseMsTotal: number;
  pauseMsMax: number;
}

/** This thread's counts, for /api/scheduler/status and the benchmarks. */
export interface QuietCollectionStats extends QuietCollectionCounts {
  /** Bytes the old generation held after the last one (or the lowest seen since), or null before the first check. */
  floorBytes: number | null;
}

const stats: QuietCollectionStats = { collections: 0, pauseMsTotal: 0, pauseMsMax: 0, floorBytes: null };
let gc: (() => void) | null | undefined;

/** V8's full collection for this thread, or null when it can't be exposed. */
function exposedGc(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    const existing = (globalThis as { gc?: unknown }).gc;
    if (typeof existing === "function") gc = existing as () => void;
    else {
      v8.setFlagsFromString("--expose-gc");
      const fn = vm.runInNewContext("gc") as unknown;
      gc = typeof fn === "function" ? (fn as () => void) : null;
    }
  } catch {
    gc = null;
  }
  return gc;
}

/**
 * Bytes of objects in this thread's old generation (every heap space but the young
 * generation's and the read-only one): what V8's major-collection limit is measured against.
 */
export function oldGenerationBytes(): number {
  let bytes = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name.startsWith("new_") || space.space_name === "read_only_space") continue;
    bytes += space.space_used_size;
  }
  return bytes;
}

/**
 * Runs a full collection on this thread now if its old generation grew by at least
 * `growthBytes` (default QUIET_COLLECT_GROWTH_BYTES) since the last one (ours, or V8's: the
 * floor follows the lowest size seen). Call it only in a quiet window: it blocks this thread
 * for the collection (~10–40 ms for a 50 MB heap). Never throws.
 * @returns whether it collected, the growth it saw (bytes) and the pause (ms, 0 when it did not collect).
 */
export function collectIfGrown(growthBytes = QUIET_COLLECT_GROWTH_BYTES): { collected: boolean; grownBytes: number; pauseMs: number } {
  const size = oldGenerationBytes();
  if (stats.floorBytes == null || size < stats.floorBytes) stats.floorBytes = size;
  const grownBytes = size - stats.floorBytes;
  const collect = grownBytes >= growthBytes ? exposedGc() : null;
  if (!collect) return { collected: false, grownBytes, pauseMs: 0 };
  const t0 = performance.now();
  try {
    collect();
  } catch (err) {
    console.error("[agentcron] quiet-window collection failed", err);
    return { collected: false, grownBytes, pauseMs: 0 };
  }
  const pauseMs = performance.now() - t0;
  stats.floorBytes = oldGenerationBytes();
  stats.collections += 1;
  stats.pauseMsTotal += pauseMs;
  stats.pauseMsMax = Math.max(stats.pauseMsMax, pauseMs);
  return { collected: true, grownBytes, pauseMs };
}

/**
 * A thread's counts as GET /api/scheduler/status and the benchmarks show them: how many, and
 * their mean and longest pause (ms, one decimal; mean 0 before the first).
 */
export function summarizeQuietCollections(c: QuietCollectionCounts): QuietCollectionCountsDto {
  return {
    collections: c.collections,
    pauseMsMean: c.collections ? Math.round((c.pauseMsTotal / c.collections) * 10) / 10 : 0,
    pauseMsMax: Math.round(c.pauseMsMax * 10) / 10,
  };
}

/** This thread's quiet-window collections so far (a copy). */
export function quietCollectionStats(): QuietCollectionStats {
  return { ...stats };
}
