import "server-only";
import type { Db } from "../db/client";
import { restoreStrandedSchedule, selectPossiblyStrandedSchedules } from "../db/queries/planning";
import { recordEvent } from "../events/log";
import { CronError, hasCron, nextOccurrence } from "../schedules/cron";
import { pauseForInvalidCron } from "./occurrence-planner";
import { withTransaction } from "../db/client";

/**
 * Boot repair for schedules stranded by the old cron evaluation (issue 10 fault 6,
 * ADR 0007): cron-parser's swallowed "loop limit exceeded" left schedules `active` with a
 * NULL `nextFireAt` (never due again) or `expired` although their cron goes on (no
 * `expiresAt` reached, no `maxFirings` reached). Each gets its next occurrence after
 * `now` (UTC ms) and `lastPlannedAt = max(lastPlannedAt, now)` — like a resume, the
 * stranded time is not caught up — and a `schedule_updated` event saying so. One whose
 * cron has no occurrence within the horizon (or no longer parses) is paused as
 * `invalid_cron` instead. Returns the ids repaired or paused.
 */
export async function repairStrandedSchedules(db: Db, now: number): Promise<string[]> {
  const stranded = await selectPossiblyStrandedSchedules(db);
  const touched: string[] = [];
  for (const s of stranded) {
    if (!hasCron(s)) continue; // chained only (ADR 0024): no next fire by design, nothing to repair
    let next: number | null;
    try {
      next = nextOccurrence(s.cronExpression, s.timezone, now);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      next = null;
    }
    if (s.status === "expired") {
      const reallyOver = next == null || (s.expiresAt != null && next > s.expiresAt) || (s.maxFirings != null && s.firingCount >= s.maxFirings);
      if (reallyOver) continue;
    } else if (next == null) {
      await pauseForInvalidCron(db, s.id, new CronError("cronExpression", "has no occurrence in the next 10 years: it would never fire"), now);
      touched.push(s.id);
      continue;
    }
    await withTransaction(db, async (tx) => {
            await restoreStrandedSchedule(tx, s.id, s.status, { nextFireAt: next!, lastPlannedAt: Math.max(s.lastPlannedAt ?? 0, now), updatedAt: now });
            await recordEvent(tx, {
              kind: "schedule_updated",
              scheduleId: s.id,
              message: `Next fire restored to ${new Date(next!).toISOString()} (was ${s.status === "expired" ? "expired" : "never due"} by the old DST evaluation)`,
              data: { repairedFrom: s.status === "expired" ? "expired" : "null_next_fire_at" },
              createdAt: now,
            });
          });
    touched.push(s.id);
  }
  return touched;
}
