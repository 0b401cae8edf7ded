import "server-only";
import { withTransaction, type Db } from "../db/client";
import { failStreamingMessage, selectStreamingMessages } from "../db/queries/chat";
import { runnerIsGone } from "../scheduler/runner-liveness";
import { finalizedContent } from "./conversations";

/** Error text of a message whose stream was cut short by its process stopping. */
export const INTERRUPTED_ERROR = "Interrupted: the server stopped while this reply was streaming";

/**
 * Finalizes assistant messages left `streaming` by a process that is gone (boot
 * reconcile, issue 6): each becomes `error` with INTERRUPTED_ERROR and keeps the text
 * that was saved before the process stopped — or a note when none was, never an empty
 * message. A message of a live runner (another process sharing the file) is left alone;
 * a runner counts as gone when it is not `me` and runnerIsGone says so (missing,
 * stopped, dead on this host, or a stale heartbeat) — the rule the scheduler uses to
 * recover a dead runner's tasks.
 * @param me this process's runner id.
 * @param now UTC ms.
 * @returns the number of messages finalized.
 */
export async function reconcileStreamingMessages(db: Db, me: string, now: number): Promise<number> {
  const streaming = await selectStreamingMessages(db);
  const orphans = streaming.filter((m) => m.runnerId !== me && runnerIsGone(m.runner, now));
  if (!orphans.length) return 0;
  await withTransaction(db, async (tx) => {
        for (const m of orphans) {
          await failStreamingMessage(tx, m.id, finalizedContent(m.content, "error", INTERRUPTED_ERROR), INTERRUPTED_ERROR, now);
        }
      });
  console.log(`[agentcron] finalized ${orphans.length} chat message(s) left streaming by a stopped process`);
  return orphans.length;
}
