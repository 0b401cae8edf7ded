/**
 * A child process for the notification outbox crash test: commits a task's final failure
 * through the real terminal write (finishRunningTask: the failure, its notification event and
 * outbox delivery in ONE transaction) on the parent's database, prints `committed`, and then
 * hangs without ever sending — the parent kills it with SIGKILL between the event and the send.
 * Usage: node --conditions=react-server --import tsx notify-cause-child.mts <taskId> <runnerId>
 */
import { dbReady, getDb } from "../../src/lib/db/client.ts";
import { finishRunningTask } from "../../src/lib/scheduler/terminal-write.ts";

const [taskId, runnerId] = process.argv.slice(2);
await dbReady();
const res = await finishRunningTask(getDb(), {
  taskId,
  guardRunnerId: runnerId,
  outcome: { status: "failed", failureReason: "agent_error", error: "exit code 1", result: null, turnCount: 1, sessionId: null, inputTokens: 0, outputTokens: 0, costUsd: null },
  now: Date.now(),
  sample: { eventLoopLagMs: 0, peakRssMb: 0, chatStreamsActive: 0, concurrentSchedules: 0 },
  retryBackoffMs: [60_000],
});
process.stdout.write(`committed ${res.written}\n`);
setInterval(() => {}, 1 << 30);
