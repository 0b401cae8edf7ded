import "server-only";
import type { Db } from "../db/client";
import type { RuntimeRow } from "../db/schema";
import { AppError } from "../errors";
import type { AgentRuntime } from "./types";

/** A runtime ready to run, with the per-runtime run options from its config. */
export interface ResolvedRuntime {
  row: RuntimeRow;
  runtime: AgentRuntime;
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Resolves a runtime id (null = the default runtime) into a runnable AgentRuntime.
 * The runtime kinds (`claude-agent-sdk`, `command`, `openai-compatible`) arrive with
 * the runtimes issue (#4).
 * @throws AppError 422 `runtime_unavailable` when no such runtime can be built.
 */
export function resolveRuntime(_db: Db, runtimeId: string | null): ResolvedRuntime {
  throw new AppError("runtime_unavailable", 422, `No runtime available for ${runtimeId ?? "the default runtime"}.`);
}
