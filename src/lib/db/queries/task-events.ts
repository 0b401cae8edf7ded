import "server-only";
import { and, asc, eq, gt } from "drizzle-orm";
import type { Db } from "../client";
import type { TaskEventRow } from "../schema";
import { run, tablesOf } from "../sql";

/**
 * Up to `limit` agent events of a task with id > `afterId`, in id order (payload parsed on
 * both dialects). Reads task_events_task_idx (task_id, id).
 */
export async function selectTaskEventsAfter(db: Db, taskId: string, afterId: number, limit: number): Promise<TaskEventRow[]> {
  const { taskEvents } = tablesOf(db);
  return run(
    db,
    db
      .select()
      .from(taskEvents)
      .where(and(eq(taskEvents.taskId, taskId), gt(taskEvents.id, afterId)))
      .orderBy(asc(taskEvents.id))
      .limit(limit),
  );
}
