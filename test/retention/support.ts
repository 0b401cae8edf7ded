/**
 * Bulk rows for the retention tests: a day of a schedule's runs (tasks, their task events,
 * a firing metric each) inserted in multi-row statements, both dialects.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { withTransaction, type Db } from "@/lib/db/client";
import { rows, run, tablesOf } from "@/lib/db/sql";
import type { TaskRow } from "@/lib/db/schema";
import { UNCLAIMED_RUN_STATE } from "@/lib/tasks/run-state";

const CHUNK = 400;
const RESULT = "Checked the queue: 0 new items. ".repeat(6);
const PAYLOAD = { text: "Looking at the repository state and the open pull requests before answering.".repeat(3) };

/** `count` finished runs of `scheduleId` evenly spread over [from, to) (UTC ms), each with `eventsPerTask` task events. */
export async function insertRuns(db: Db, scheduleId: string, from: number, to: number, count: number, eventsPerTask = 2): Promise<string[]> {
  const step = (to - from) / count;
  const ids: string[] = [];
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const batch: TaskRow[] = Array.from({ length: n }, (_, i) => {
      const at = Math.floor(from + (start + i) * step);
      return {
        ...UNCLAIMED_RUN_STATE,
        id: randomUUID(),
        scheduleId,
        runtimeId: null,
        title: "per-second check",
        prompt: "Check the queue and report new items.",
        status: "completed",
        sourceType: "scheduled",
        rootSourceType: "scheduled",
        plannedAt: at,
        attempt: 1,
        maxAttempts: 1,
        parentTaskId: null,
        notBefore: null,
        maxTurns: 10,
        maxRunDurationSec: null,
        startedAt: at,
        finishedAt: at + 400,
        result: RESULT,
        turnCount: 1,
        createdAt: at,
      } as TaskRow;
    });
    await withTransaction(db, async (tx) => {
      const t = tablesOf(tx);
      await run(tx, tx.insert(t.tasks).values(batch));
      if (eventsPerTask > 0) {
        const events = batch.flatMap((task) =>
          Array.from({ length: eventsPerTask }, (_, k) => ({ taskId: task.id, type: k === 0 ? "assistant" : "result", payload: PAYLOAD, createdAt: task.createdAt + 100 + k })),
        );
        for (let e = 0; e < events.length; e += CHUNK) await run(tx, tx.insert(t.taskEvents).values(events.slice(e, e + CHUNK)));
      }
    });
    ids.push(...batch.map((t) => t.id));
  }
  return ids;
}

/** Exact row counts of the retained tables (a full count: tests only). */
export async function countRows(db: Db): Promise<{ tasks: number; taskEvents: number; events: number; chatMessages: number; chatConversations: number }> {
  const one = async (table: string) => Number((await rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM ${sql.identifier(table)}`))[0].n);
  return {
    tasks: await one("tasks"),
    taskEvents: await one("task_events"),
    events: await one("events"),
    chatMessages: await one("chat_messages"),
    chatConversations: await one("chat_conversations"),
  };
}

/** The maintained task counters' total and per-schedule totals equal a recount. */
export async function countersMatch(db: Db): Promise<{ counted: number; recounted: number; bySchedule: boolean }> {
  const counted = Number((await rows<{ n: number }>(db, sql`SELECT coalesce(sum(n), 0) AS "n" FROM task_status_counts`))[0].n);
  const recounted = Number((await rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM tasks`))[0].n);
  const diff = await rows<{ n: number }>(
    db,
    sql`SELECT count(*) AS "n" FROM (SELECT status, schedule_id, count(*) AS c FROM tasks WHERE schedule_id IS NOT NULL GROUP BY status, schedule_id) r
        FULL OUTER JOIN (SELECT status, schedule_id, n FROM schedule_task_counts WHERE n <> 0) k ON k.status = r.status AND k.schedule_id = r.schedule_id
        WHERE r.c IS NULL OR k.n IS NULL OR r.c <> k.n`,
  );
  return { counted, recounted, bySchedule: Number(diff[0].n) === 0 };
}
