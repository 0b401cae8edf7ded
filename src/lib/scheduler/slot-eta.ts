import "server-only";
import type { Db } from "../db/client";
import { selectRecentAvgDurationMs, selectRunningTimes } from "../db/queries/slots";

/**
 * Seconds until a slot is likely to free (429 `capacity_full` → `slotEtaSec`), from the
 * running tasks themselves, never a constant: each running task is expected to end at
 * its start + its schedule's average duration over the last 20 firings, bounded by its
 * lease expiry (the reaper frees the slot then at the latest); a task already past its
 * average, or without history, counts at its lease expiry. The earliest of those, at
 * least 1 s.
 * @param now UTC ms.
 */
export async function estimateSlotEtaSec(db: Db, now: number): Promise<number> {
  const running = await selectRunningTimes(db);
  let earliest = Number.POSITIVE_INFINITY;
  for (const t of running) {
    const lease = t.leaseExpiresAt ?? now;
    let expected = lease;
    if (t.scheduleId && t.startedAt != null) {
      const avg = await selectRecentAvgDurationMs(db, t.scheduleId, 20);
      if (avg != null && t.startedAt + avg > now) expected = Math.min(lease, t.startedAt + avg);
    }
    earliest = Math.min(earliest, expected);
  }
  if (!Number.isFinite(earliest)) return 1;
  return Math.max(1, Math.ceil((earliest - now) / 1000));
}
