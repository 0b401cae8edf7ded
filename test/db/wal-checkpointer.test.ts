/**
 * The WAL checkpointer (ADR 0034): a thread of its own checkpoints a SQLite file's WAL, so the
 * copy and fsync block none of the app's threads. Real SQLite files in a temp dir, a real
 * worker thread.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "@/lib/db/client";
import { startWalCheckpointer, type WalCheckpointerMessage } from "@/lib/db/wal-checkpointer";
import { waitFor } from "../support/test-runtime";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-checkpointer-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A WAL-mode file whose connection never checkpoints by itself, with `pages` of rows in its WAL. */
function fileWithWal(name: string, pages: number) {
  const file = path.join(tmp, name);
  const db = openDatabase(file);
  db.$client.pragma("wal_autocheckpoint = 0");
  db.$client.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  const insert = db.$client.prepare("INSERT INTO t (v) VALUES (?)");
  db.$client.transaction(() => {
    for (let i = 0; i < pages; i++) insert.run("x".repeat(3_000));
  })();
  return { file, db };
}

describe("the WAL checkpointer", () => {
  it("checkpoints the WAL into the file on its own thread, while the caller's thread is blocked", async () => {
    const { file, db } = fileWithWal("blocked.db", 400);
    const messages: WalCheckpointerMessage[] = [];
    const sizeBefore = fs.statSync(file).size;
    const checkpointer = startWalCheckpointer(file, { intervalMs: 50, onMessage: (m) => messages.push(m) });
    try {
      // Block this thread's event loop for a second: only another thread can checkpoint meanwhile.
      const until = Date.now() + 1_000;
      while (Date.now() < until) {
        /* busy */
      }
      // The rows are in the database file itself now, not only in the WAL.
      expect(fs.statSync(file).size).toBeGreaterThan(sizeBefore + 400 * 3_000);
      await waitFor(() => messages.some((m) => m.t === "checkpointed"), "the thread's report", 2_000);
      expect(messages.find((m) => m.t === "checkpointed")).toMatchObject({ t: "checkpointed", walFrames: expect.any(Number) });
      expect(checkpointer.alive).toBe(true);
    } finally {
      await checkpointer.stop();
      closeDatabase(db);
    }
    expect(checkpointer.alive).toBe(false);
  });

  it("never creates a file, and reports a thread that could not open one as not alive", async () => {
    const missing = path.join(tmp, "missing.db");
    const checkpointer = startWalCheckpointer(missing, { intervalMs: 50 });
    await waitFor(() => !checkpointer.alive, "the thread to give up", 5_000);
    expect(fs.existsSync(missing)).toBe(false);
    await checkpointer.stop(); // idempotent on a dead thread
  });
});
