import "server-only";
import type { Db } from "../db/client";
import type { OwnedProcessGroup } from "../db/schema";
import { clearAgentProcessRecord, selectAgentProcessRows, updateAgentProcessGroups } from "../db/queries/task-runs";

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
  await updateAgentProcessGroups(db, taskId, groups, host);
}

/** Clears the record once every recorded process is known gone. */
export async function clearAgentProcessGroups(db: Db, taskId: string): Promise<void> {
  await clearAgentProcessRecord(db, taskId);
}

/** Every task that still records agent processes (any status): few rows, through a partial index. */
export async function tasksWithAgentProcesses(db: Db): Promise<AgentProcessRecord[]> {
  const rows = await selectAgentProcessRows(db);
  return rows.map((r) => ({ ...r, agentHost: r.agentHost ?? "", groups: validGroups(r.groups) }));
}

/** The well-formed groups of a stored record (a hand-edited or truncated row yields none). */
function validGroups(raw: unknown): OwnedProcessGroup[] {
  return Array.isArray(raw) ? raw.filter((g) => Number.isInteger(g?.pgid) && g.pgid > 0 && Number.isFinite(g?.startTime)) : [];
}
