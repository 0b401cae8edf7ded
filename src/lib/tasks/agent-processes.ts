import "server-only";
import type { Db } from "../db/client";
import type { OwnedProcessGroup } from "../db/schema";
import { prepared } from "../scheduler/statements";

/** A task row's durable record of the agent processes it may still own (ADR 0005). */
export interface AgentProcessRecord {
  id: string;
  status: string;
  runnerId: string | null;
  scheduleId: string | null;
  agentHost: string;
  groups: OwnedProcessGroup[];
}

/**
 * Writes the process groups a task's run has spawned so far, on `host` (process-table.ts
 * thisHost). Called synchronously right after each spawn, so a crash a moment later
 * still leaves the record that lets the next runner on this host kill them.
 */
export async function recordAgentProcessGroups(db: Db, taskId: string, groups: readonly OwnedProcessGroup[], host: string): Promise<void> {
  prepared(db, "UPDATE tasks SET agent_process_groups = ?, agent_host = ? WHERE id = ?").run(JSON.stringify(groups), host, taskId);
}

/** Clears the record once every recorded process is known gone. */
export async function clearAgentProcessGroups(db: Db, taskId: string): Promise<void> {
  prepared(db, "UPDATE tasks SET agent_process_groups = NULL WHERE id = ? AND agent_process_groups IS NOT NULL").run(taskId);
}

/** Every task that still records agent processes (any status): few rows, through a partial index. */
export async function tasksWithAgentProcesses(db: Db): Promise<AgentProcessRecord[]> {
  const rows = prepared(
    db,
    `SELECT id, status, runner_id AS runnerId, schedule_id AS scheduleId, agent_host AS agentHost, agent_process_groups AS groups
     FROM tasks WHERE agent_process_groups IS NOT NULL`,
  ).all() as (Omit<AgentProcessRecord, "groups"> & { groups: string })[];
  return rows.map((r) => ({ ...r, groups: parseGroups(r.groups) }));
}

function parseGroups(raw: string): OwnedProcessGroup[] {
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((g) => Number.isInteger(g?.pgid) && g.pgid > 0 && Number.isFinite(g?.startTime)) : [];
  } catch {
    return [];
  }
}
