import "server-only";
import type { Db } from "../db/client";
import type { RuntimeRow } from "../db/schema";
import { AppError } from "../errors";
import { claudeAgentSdkRuntime } from "./claude-agent-sdk";
import { commandRuntime } from "./command";
import { runtimeKindConfigSchema } from "./config";
import { openAiCompatibleRuntime } from "./openai-compatible";
import { getDefaultRuntime, getRuntime } from "./service";
import type { AgentRuntime } from "./types";

/** A runtime ready to run; it applies its own config (cwd, env) to every run. */
export interface ResolvedRuntime {
  row: RuntimeRow;
  runtime: AgentRuntime;
  /**
   * True when `runtime` is exactly what buildRuntime(row) makes, so another thread can rebuild
   * it from the row alone (the executor host, ADR 0022). A test's hand-made runtime leaves it unset.
   */
  fromRow?: true;
}

/** What resolveRuntime failures map to when a task can't start (a task's failureReason). */
export const UNAVAILABLE_RUNTIME_FAILURE = "runtime_missing_executable" as const;

function unavailable(message: string): AppError {
  return new AppError("runtime_unavailable", message, { extra: { failureReason: UNAVAILABLE_RUNTIME_FAILURE } });
}

/**
 * Builds the AgentRuntime for a stored row. The stored config is re-validated (it
 * may predate a schema change), so a runtime never runs with a config the API would
 * refuse.
 * @throws AppError 422 `runtime_unavailable` (extra `failureReason`) on an invalid stored config.
 */
export function buildRuntime(row: RuntimeRow): ResolvedRuntime {
  const parsed = runtimeKindConfigSchema.safeParse({ kind: row.kind, config: row.config });
  if (!parsed.success) {
    throw unavailable(`Runtime "${row.name}" has an invalid ${row.kind} config (${parsed.error.issues[0]?.message}); fix it in Settings.`);
  }
  const spec = parsed.data;
  switch (spec.kind) {
    case "command":
      // The runtime applies its config env itself (resolving `${NAME}` references at run time).
      return { row, runtime: commandRuntime(spec.config), fromRow: true };
    case "claude-agent-sdk":
      return { row, runtime: claudeAgentSdkRuntime(spec.config), fromRow: true };
    case "openai-compatible":
      return { row, runtime: openAiCompatibleRuntime(spec.config), fromRow: true };
  }
}

/**
 * Resolves a runtime id (null = the default runtime) into a runnable AgentRuntime.
 * Nothing is seeded on a fresh database (see docs/runtimes.md), so with no runtime at
 * all this throws a message telling the user to create one.
 * @throws AppError 422 `runtime_unavailable` (extra `failureReason:
 *   "runtime_missing_executable"`) when the id is unknown, no default exists, or the
 *   stored config is invalid.
 */
export async function resolveRuntime(db: Db, runtimeId: string | null): Promise<ResolvedRuntime> {
  let row: RuntimeRow | null;
  if (runtimeId) {
    try {
      row = await getRuntime(runtimeId, db);
    } catch {
      throw unavailable(`Runtime ${runtimeId} no longer exists; pick another runtime for this schedule.`);
    }
  } else {
    row = await getDefaultRuntime(db);
    if (!row) throw unavailable("No agent runtime is configured: add one in Settings → Runtimes (or POST /api/runtimes).");
  }
  return buildRuntime(row);
}
