/**
 * Messages between the main thread and the executor host's worker thread (ADR 0022).
 * Everything here crosses `postMessage` (structured clone): plain data only.
 */
import type { RunBudget } from "../../budgets/run-budget";
import type { DbLocation } from "../../db/client";
import type { OwnedProcessGroup, RuntimeRow } from "../../db/schema";
import type { SpawnerStatus } from "../spawner/client";
import type { PersistedEventBatchItem, TaskOutcome } from "../task-executor";

/** One run the main thread hands to the host: what executeTask needs, less what can't cross a thread. */
export interface HostRunRequest {
  taskId: string;
  /** The database the worker opens its own connection to. */
  location: DbLocation;
  /** The runtime's stored row: the worker rebuilds the AgentRuntime from it (registry.buildRuntime). */
  runtimeRow: RuntimeRow;
  prompt: string;
  maxTurns: number;
  resumeSessionId: string | null;
  budget: RunBudget | null;
  /** Already aborted before it reached the host: the reason (the runtimes then never spawn). */
  abortedWith?: string;
}

/** main → worker */
export type ToHost =
  | { t: "run"; run: HostRunRequest }
  | { t: "abort"; taskId: string; reason: string }
  /** The scheduler is in a quiet window: collect garbage now if the heap grew `growthBytes` (default QUIET_COLLECT_GROWTH_BYTES; ADR 0035). */
  | { t: "quiet"; growthBytes?: number }
  | { t: "close" };

/** worker → main */
export type FromHost =
  | { t: "ready" }
  /** A batch of a run's events, persisted: published on the main thread's taskEventBus. */
  | { t: "events"; taskId: string; rows: PersistedEventBatchItem[] }
  | { t: "end"; taskId: string }
  /** A run root spawned (its group is the run's); mirrored into the main thread's tracked set. */
  | { t: "root-added"; group: OwnedProcessGroup }
  | { t: "root-removed"; pid: number }
  | { t: "outcome"; taskId: string; outcome: TaskOutcome }
  /** The run threw before it had an outcome (e.g. a runtime row that no longer builds). */
  | { t: "run-error"; taskId: string; message: string }
  /** How the worker spawns agents (ADR 0028): sent once its spawners answered (or it fell back). */
  | { t: "spawner"; status: SpawnerStatus }
  /** A quiet-window collection ran on the worker's thread (ADR 0035); its pause, ms. */
  | { t: "quiet-collected"; pauseMs: number }
  | { t: "closed" };
