import "server-only";
import type { Db } from "../db/client";
import type { OwnedProcessGroup } from "../db/schema";
import { clearAgentProcessGroups, recordAgentProcessGroups } from "../tasks/agent-processes";
import { identifyGroup, killOwnedGroupsNow, processStartTime, thisHost } from "./process-table";

/** Groups kept on a task row before the dead ones are pruned (a shell tool spawns one per call). */
const MAX_RECORDED_GROUPS = 16;

export interface AgentProcessOwner {
  /**
   * RunInput.onProcessGroup: records the group (pgid + its leader's start stamp) on the task
   * row. Returns at once; the writes are chained in order, and `release` waits for them.
   */
  record(pgid: number): void;
  /**
   * At the end of the run: kills what is left of the recorded groups (leftovers in the
   * group and their descendants — a normal completion leaves nothing behind) and clears
   * the record once all of it is gone. Never rejects.
   */
  release(): Promise<void>;
}

/**
 * Durable ownership of one task's agent processes (ADR 0005, issue #10 fault 1): the task
 * row holds the process groups its run spawned, their start stamps and this host's key
 * while they may be alive, so that after a crash the next runner on this host can kill
 * exactly them — and nothing that merely reuses a pid — before it recovers and retries
 * the task (recovery.ts).
 */
export function agentProcessOwner(db: Db, taskId: string): AgentProcessOwner {
  let groups: OwnedProcessGroup[] = [];
  let writes: Promise<void> = Promise.resolve();
  return {
    record(pgid) {
      const startTime = processStartTime(pgid);
      if (startTime == null) return; // already exited
      groups.push({ pgid, startTime });
      if (groups.length > MAX_RECORDED_GROUPS) groups = groups.filter((g) => identifyGroup(g).length > 0);
      const snapshot = [...groups];
      writes = writes
        .then(() => recordAgentProcessGroups(db, taskId, snapshot, thisHost()))
        .catch((err) => console.error(`[agentcron] task ${taskId}: could not record its agent processes`, err));
    },
    async release() {
      await writes;
      if (!groups.length) return;
      try {
        const { killed, alive } = killOwnedGroupsNow(groups);
        if (killed.length) console.log(`[agentcron] task ${taskId}: killed ${killed.length} process(es) its agent left behind`);
        if (alive.length) console.error(`[agentcron] task ${taskId}: process(es) ${alive.join(", ")} survived SIGKILL; the record stays for recovery`);
        else await clearAgentProcessGroups(db, taskId);
      } catch (err) {
        console.error(`[agentcron] task ${taskId}: could not release its agent processes`, err);
      }
    },
  };
}
