import "server-only";
import type { Db } from "../db/client";
import { prepared } from "./statements";

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
  const running = prepared(
    db,
    "SELECT schedule_id AS scheduleId, started_at AS startedAt, lease_expires_at AS leaseExpiresAt FROM tasks WHERE status = 'running'",
  ).all() as { scheduleId: string | null; startedAt: number | null; leaseExpiresAt: number | null }[];
  const avgOf = prepared(
    db,
    "SELECT AVG(duration_ms) AS avg FROM (SELECT duration_ms FROM schedule_firing_metrics WHERE schedule_id = ? ORDER BY fired_at DESC LIMIT 20)",
  );
  let earliest = Number.POSITIVE_INFINITY;
  for (const t of running) {
    const lease = t.leaseExpiresAt ?? now;
    let expected = lease;
    if (t.scheduleId && t.startedAt != null) {
      const avg = (avgOf.get(t.scheduleId) as { avg: number | null }).avg;
      if (avg != null && t.startedAt + avg > now) expected = Math.min(lease, t.startedAt + avg);
    }
    earliest = Math.min(earliest, expected);
  }
  if (!Number.isFinite(earliest)) return 1;
  return Math.max(1, Math.ceil((earliest - now) / 1000));
}
