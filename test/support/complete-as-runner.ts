import { withTransaction, type Db } from "@/lib/db/client";
import { writeTerminal } from "@/lib/db/queries/task-runs";

/**
 * Ends a running task as `completed` through the guarded terminal write, as the runner that
 * holds it; throws when the guard refuses (another runner owns it, or it already ended).
 * For concurrency tests that stand in for agent runs finishing.
 */
export async function completeAsRunner(db: Db, runnerId: string, taskId: string): Promise<void> {
  const written = await withTransaction(db, (tx) =>
    writeTerminal(tx, {
      taskId, guardRunnerId: runnerId, status: "completed", failureReason: null, error: null, result: "ok",
      turnCount: 1, sessionId: null, inputTokens: null, outputTokens: null, costUsd: null, now: Date.now(),
    }),
  );
  if (!written) throw new Error(`terminal write of ${taskId} refused`);
}
