import "server-only";
import type { TaskDto } from "../api-types";
import type { Db } from "../db/client";
import { estimateSlotEtaSec } from "../scheduler/slot-eta";
import { getTask, queuePosition } from "./queries";
import { serializeTask } from "./serialize";
import { taskRenderedPrompt } from "../triggers/prompt-render";

/** Where a queued task stands (GET /api/tasks/:id `queue`, docs/api.md). */
export interface QueueDto {
  /** 1 = next to get a slot. */
  position: number;
  /** Seconds until a slot is likely to free (the same estimate as 429 `slotEtaSec`). */
  slotEtaSec: number;
  /** A retry's backoff end (ISO), when it may not start before then; else null. */
  notBefore: string | null;
}

/** GET /api/tasks/:id answer: the task (API.md Task shape), its prompt, and its queue place while queued. */
export interface TaskDetailDto {
  task: TaskDto;
  /** The task's prompt as stored (Task lists leave it out). */
  prompt: string;
  /** The prompt the run sent, prompt variables filled in; null until the run starts (issue 12 item 6). */
  renderedPrompt: string | null;
  queue: QueueDto | null;
}

/**
 * One task for its page: the Task shape, its `prompt` (left out of lists), and `queue`
 * ({position, slotEtaSec, notBefore}) while it is queued, else null.
 * @param now UTC ms.
 * @throws AppError 404 `task_not_found`.
 */
export async function getTaskDetail(db: Db, id: string, now: number): Promise<TaskDetailDto> {
  const row = await getTask(db, id);
  const queue =
    row.status === "queued"
      ? {
          position: await queuePosition(db, row),
          slotEtaSec: await estimateSlotEtaSec(db, now),
          notBefore: row.notBefore != null && row.notBefore > now ? new Date(row.notBefore).toISOString() : null,
        }
      : null;
  return { task: serializeTask(row), prompt: row.prompt, renderedPrompt: taskRenderedPrompt(row), queue };
}
