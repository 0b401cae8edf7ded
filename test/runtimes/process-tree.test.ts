import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { descendantPids, isAlive, killTrackedProcessGroupsNow, trackProcessGroup } from "@/lib/runtimes/process-tree";

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("shutdown kill of tracked run process groups", () => {
  it("SIGKILLs every tracked detached run and the children in its group, synchronously", async () => {
    // A run root that ignores SIGTERM and has two children in its process group.
    const child = spawn("sh", ["-c", "trap '' TERM; sleep 60 & sleep 60 & wait"], { detached: true, stdio: "ignore" });
    trackProcessGroup(child);
    const root = child.pid!;
    let pids: number[] = [];
    await until(async () => (pids = await descendantPids(root)).length >= 2, "two children");
    expect([root, ...pids].every(isAlive)).toBe(true);

    expect(killTrackedProcessGroupsNow()).toEqual([root]);
    await until(() => ![root, ...pids].some(isAlive), "the whole group to die");
    // Tracking is cleared: a second sweep signals nothing.
    expect(killTrackedProcessGroupsNow()).toEqual([]);
  });

  it("forgets a run root once it exits", async () => {
    const child = spawn("sh", ["-c", "exit 0"], { detached: true, stdio: "ignore" });
    trackProcessGroup(child);
    await new Promise((r) => child.once("exit", r));
    expect(killTrackedProcessGroupsNow()).toEqual([]);
  });
});
