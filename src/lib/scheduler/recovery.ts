import "server-only";
import type { Db } from "../db/client";
import { killOwnedGroupsNow, thisHost } from "../runtimes/process-table";
import { clearAgentProcessGroups, tasksWithAgentProcesses, type AgentProcessRecord } from "../tasks/agent-processes";
import { runnerIsGone, type RunnerLivenessRow } from "./runner-liveness";
import { firingSampleFor, getRunningTask } from "./running-tasks";
import { countRunning } from "./slot-claim";
import { selectTaskById } from "../db/queries/tasks-core";
import { selectRunningOfOthers } from "../db/queries/task-runs";
import { selectRunner } from "../db/queries/runners";
import { finishRunningTask, outcomeWithoutRun } from "./terminal-write";

type RunnerJoin = { rid: string | null } & { [K in keyof RunnerLivenessRow]?: RunnerLivenessRow[K] | null };

/** A runner's liveness columns as recovery's join gives them (`rid` null: no runner row). */
async function runnerJoinOf(db: Db, runnerId: string | null): Promise<RunnerJoin> {
  const r = runnerId ? await selectRunner(db, runnerId) : undefined;
  return r ? { rid: r.id, pid: r.pid, hostKey: r.hostKey, processStartTime: r.processStartTime, heartbeatAt: r.heartbeatAt, stoppedAt: r.stoppedAt } : { rid: null };
}

function goneCheck(now: number): (row: RunnerJoin) => boolean {
  const memo = new Map<string, boolean>();
  return (row) => {
    if (!row.rid) return true;
    let gone = memo.get(row.rid);
    if (gone === undefined) {
      gone = runnerIsGone(row as RunnerLivenessRow, now);
      memo.set(row.rid, gone);
    }
    return gone;
  };
}

/**
 * Makes sure the agent processes a task recorded are gone (ADR 0005). On this host: kill
 * every process still identifiable as theirs (pid + start stamp, group, descendants) and
 * clear the record; false when one survived the kill (the caller tries again on its next
 * pass). On another host they can't be reached from here: the record is cleared, so the
 * retry isn't held forever (the heartbeat timeout is that case's bound).
 */
async function releaseAgentProcesses(db: Db, record: Pick<AgentProcessRecord, "id" | "agentHost" | "groups">): Promise<boolean> {
  if (!record.groups.length) {
    await clearAgentProcessGroups(db, record.id);
    return true;
  }
  if (record.agentHost === thisHost()) {
    const { killed, alive } = killOwnedGroupsNow(record.groups);
    if (killed.length) console.log(`[agentcron] task ${record.id}: killed ${killed.length} agent process(es) left by a stopped runner`);
    if (alive.length) {
      console.error(`[agentcron] task ${record.id}: agent process(es) ${alive.join(", ")} survived SIGKILL; recovery waits for them`);
      return false;
    }
  }
  await clearAgentProcessGroups(db, record.id);
  return true;
}

/**
 * Agent processes recorded by tasks that no longer run anywhere: a gone runner's
 * (whatever the task's status — e.g. already recovered by a runner on another host) or
 * this runner's when it has no run for the task any more. Only this host's are reachable.
 */
async function sweepLeftoverAgentProcesses(db: Db, runnerId: string, now: number): Promise<void> {
  const records = (await tasksWithAgentProcesses(db)).filter((r) => r.agentHost === thisHost());
  if (!records.length) return;
  const gone = goneCheck(now);
  for (const record of records) {
    if (record.status === "running" && record.runnerId !== runnerId) continue; // recovery's part, below
    const mine = record.runnerId === runnerId;
    if (mine ? getRunningTask(record.id) : !gone(await runnerJoinOf(db, record.runnerId))) continue;
    try {
      await releaseAgentProcesses(db, record);
    } catch (err) {
      console.error(`[agentcron] task ${record.id}: could not release its agent processes`, err);
    }
  }
}

/**
 * Recovery (DESIGN.md invariant 9, issue 3 item 6, ADR 0005): tasks left `running` by a
 * gone runner (runner-liveness.ts: stopped, unknown, dead on this host, or heartbeat older
 * than RUNNER_STALE_MS) are failed with `runtime_recovery` (guarded on that runner's id,
 * so a runner that comes back can't overwrite it) and retried while attempts remain —
 * but only after the agent processes the task recorded are killed: a task whose agents
 * survive the kill stays `running` until a later pass. Leftover agent processes of tasks
 * that no longer run are killed too. This runner's own running tasks are never recovered
 * here (the reaper handles them). Runs at boot and on every pass and heartbeat. One
 * `runtime_recovery` event per recovered task.
 * @param now UTC ms. Returns the number of tasks recovered.
 */
export async function recoverOrphanedTasks(db: Db, runnerId: string, now: number, retryBackoffMs: readonly number[]): Promise<number> {
  await sweepLeftoverAgentProcesses(db, runnerId, now);
  const candidates = await selectRunningOfOthers(db, runnerId);
  if (!candidates.length) return 0;
  const gone = goneCheck(now);
  const orphans = candidates.filter((c) => c.runnerId == null || gone(c));
  if (!orphans.length) return 0;

  let recovered = 0;
  for (const orphan of orphans) {
    try {
      const task = await selectTaskById(db, orphan.id);
      if (!task) continue;
      // A retry never starts beside its parent's agents: they die first.
      if (task.agentProcessGroups && !await releaseAgentProcesses(db, { id: task.id, agentHost: task.agentHost ?? "", groups: task.agentProcessGroups })) continue;
      const message = `Recovered: runner ${orphan.runnerId ?? "(none)"} stopped while the task was running`;
      const outcome = outcomeWithoutRun(task, "failed", "runtime_recovery", message);
      const res = await finishRunningTask(db, {
        taskId: task.id,
        guardRunnerId: orphan.runnerId,
        outcome,
        now,
        sample: await firingSampleFor(task.id, async () => countRunning(db)),
        retryBackoffMs,
        event: (retryTaskId) => ({ kind: "runtime_recovery", scheduleId: task.scheduleId, taskId: task.id, message, data: { runnerId: orphan.runnerId, retryTaskId } }),
      });
      if (res.written) recovered += 1;
    } catch (err) {
      console.error(`[agentcron] task ${orphan.id}: recovery failed`, err);
    }
  }
  return recovered;
}
