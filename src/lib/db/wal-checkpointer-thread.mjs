// The WAL checkpointer's thread (ADR 0034): its own connection to one SQLite file, and a
// PASSIVE checkpoint every `intervalMs`. A checkpoint copies the WAL's pages into the database
// file and fsyncs it: 16-19 ms for 1,000 pages on the 2-core bench machine (2026-12-04). Run
// here, that wait blocks no thread that serves the scheduler, the chat or agents' starts.
// Plain JavaScript, no tsx: this thread loads better-sqlite3 and nothing of the app.
//
// workerData: { file: string, intervalMs: number }. Messages to the parent:
// { t: "checkpointed", walFrames, checkpointed } after a checkpoint whose figures changed;
// { t: "failed", message } when one threw (the parent logs it; the next interval tries again).
// Message from the parent: "stop" closes the connection and ends the thread.
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { file, intervalMs } = workerData;
// fileMustExist: the app's own connection creates and migrates the file, never this one.
const db = new Database(file, { fileMustExist: true });
// PASSIVE never waits for a lock, so no busy timeout: a busy WAL is checkpointed next time.
let last = "";
const timer = setInterval(() => {
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    const now = row ? `${row.log}/${row.checkpointed}` : "";
    if (row && row.checkpointed > 0 && now !== last) parentPort.postMessage({ t: "checkpointed", walFrames: row.log, checkpointed: row.checkpointed });
    last = now;
  } catch (err) {
    parentPort.postMessage({ t: "failed", message: err instanceof Error ? err.message : String(err) });
  }
}, intervalMs);

parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
