import "server-only";
/**
 * Pause-until (issue 12 item 2): a schedule paused with `pausedUntil` resumes by itself at
 * that instant. Run by every loop pass before planning, and the loop's wake includes the
 * earliest `pausedUntil` (loop.ts computeWake), so it resumes on time on a quiet server.
 */
import type { Db } from "../db/client";
import { withTransaction } from "../db/client";
import { resumePausedSchedule, selectSchedulesToResume } from "../db/queries/calendar";
import { recordEvent } from "../events/log";
import { hasCron, nextOccurrence } from "../schedules/cron";

/** Schedules resumed per pass at most; the rest are resumed by the next pass. */
const RESUME_BATCH = 100;

/**
 * Resumes every paused schedule whose `pausedUntil` ≤ `now` (UTC ms): active again with
 * `nextFireAt` = its first occurrence after `now` and `lastPlannedAt = now` — occurrences
 * during the pause are not caught up, exactly as when a person resumes it — streaks reset,
 * a `schedule_resumed` event. Each resume is a conditional UPDATE on the `pausedUntil`
 * read, so with several runners exactly one resumes a schedule (and writes the event), and
 * a schedule re-paused or resumed meanwhile by a person is left as they set it. A
 * schedule whose cron has no next occurrence any more is left paused (logged): resuming it
 * is a person's decision then (PATCH answers why). Returns the ids resumed.
 */
export async function resumeDueSchedules(db: Db, now: number): Promise<string[]> {
  const due = await selectSchedulesToResume(db, now, RESUME_BATCH);
  const resumed: string[] = [];
  for (const s of due) {
    let next: number | null;
    try {
      next = hasCron(s) ? nextOccurrence(s.cronExpression, s.timezone, now) : null;
    } catch {
      next = null;
    }
    // A chained-only schedule (no cron, ADR 0024) resumes with no next fire: it runs after its upstream.
    if (next == null && hasCron(s)) {
      console.error(`[agentcron] schedule ${s.id}: paused until ${new Date(s.pausedUntil!).toISOString()} but its cron has no next occurrence; left paused`);
      continue;
    }
    const done = await withTransaction(db, async (tx) => {
      const n = await resumePausedSchedule(tx, s.id, s.pausedUntil!, { nextFireAt: next, lastPlannedAt: Math.max(s.lastPlannedAt ?? 0, now), updatedAt: now });
      if (n === 1) {
        await recordEvent(tx, {
          kind: "schedule_resumed",
          scheduleId: s.id,
          message: `Schedule "${s.name}" resumed by itself (paused until ${new Date(s.pausedUntil!).toISOString()})`,
          data: { pausedUntil: s.pausedUntil, automatic: true },
          createdAt: now,
        });
      }
      return n === 1;
    });
    if (done) resumed.push(s.id);
  }
  return resumed;
}
