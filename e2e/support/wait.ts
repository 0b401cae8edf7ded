/**
 * Condition waits and process checks shared by the e2e specs: poll for a condition
 * (never a fixed sleep) and tell a running process from a gone or zombie one.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";

/** Polls `read` until `accept` holds (condition wait, never a fixed sleep); throws with the last value after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 20_000, label = "condition", intervalMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Alive and not a zombie (a killed orphan may linger as a zombie until reaped). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Runs a child to its end (or kills it after 60 s); resolves its exit code and everything it
 * printed. Waits for 'close', not 'exit': the child's last lines can still be in its pipes when
 * 'exit' is emitted. After the kill, the pipes are closed from this side too, so a grandchild
 * still holding them can't keep the promise open.
 */
export function runToExit(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const timer = setTimeout(() => {
    child.kill("SIGKILL");
    child.stdout!.destroy();
    child.stderr!.destroy();
  }, 60_000);
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}
