import "server-only";
import { randomUUID } from "node:crypto";
import type { RuntimeDto } from "../api-types";
import { getDb, type Db, withTransaction } from "../db/client";
import {
  clearDefaultRuntime,
  countStreamingChatsOnRuntime,
  deleteRuntimeRow,
  detachChatsFromRuntime,
  insertRuntime,
  lockRuntimeWrites,
  runtimeNameTaken,
  selectDefaultRuntime,
  selectOldestRuntimeId,
  selectRuntime,
  selectRuntimes,
  setDefaultRuntime,
  updateRuntimeRow,
} from "../db/queries/runtimes";
import { countSchedulesNamingRuntime, countSchedulesOnDefaultRuntime } from "../db/queries/schedules";
import type { RuntimeRow } from "../db/schema";
import { isUniqueViolation } from "../db/sql";
import { AppError, invalidRequest, notFound } from "../errors";
import { zodFields } from "../validation";
import { toIso } from "../time/clock";
import { redactConfigSecrets } from "./secrets";
import { runtimeKindConfigSchema, type CommandConfig, type RuntimeCreateInput, type RuntimePatchInput } from "./config";
import { commandExecutableProblem } from "./runnable";

/*
 * Default-runtime rule (one place): while any runtime exists, exactly one is the
 * default. The first runtime created becomes the default; setting `isDefault` on one
 * clears it on the others in the same transaction; the default can't be un-set
 * directly (make another one the default instead); deleting the default promotes the
 * oldest remaining runtime.
 */

/** Every runtime, oldest first. */
export async function listRuntimes(db: Db = getDb()): Promise<RuntimeRow[]> {
  return selectRuntimes(db);
}

/**
 * One runtime.
 * @throws AppError 404 `runtime_not_found`.
 */
export async function getRuntime(id: string, db: Db = getDb()): Promise<RuntimeRow> {
  const row = await selectRuntime(db, id);
  if (!row) throw notFound("runtime", id);
  return row;
}

/** The default runtime, or null when none exists. */
export async function getDefaultRuntime(db: Db = getDb()): Promise<RuntimeRow | null> {
  return (await selectDefaultRuntime(db)) ?? null;
}

function nameTaken(name: string): AppError {
  return new AppError("runtime_name_taken", `A runtime named "${name}" already exists; choose another name.`, { fields: { name: "is already used" } });
}

/**
 * The name check runs inside the write's transaction. On SQLite (`BEGIN IMMEDIATE`)
 * another process sharing the file can't insert the same name in between; on PostgreSQL
 * (READ COMMITTED) it can, and the write then hits `runtimes_name_unique`: `withNameGuard`
 * answers that as the same 409 instead of a 500.
 */
async function assertNameFree(db: Db, name: string, exceptId?: string): Promise<void> {
  if (await runtimeNameTaken(db, name, exceptId)) throw nameTaken(name);
}

/** Runs a write that may insert/rename to `name`, mapping a unique violation on the name to 409 `runtime_name_taken`. */
async function withNameGuard<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (name !== undefined && isUniqueViolation(err, "runtimes_name_unique")) throw nameTaken(name);
    if (name !== undefined && isUniqueViolation(err, "runtimes.name")) throw nameTaken(name);
    throw err;
  }
}

/** A command runtime is saved only when its executable resolves (runnable.ts); 400 `config.command` otherwise. */
function assertCommandExecutable(kind: string, config: unknown): void {
  if (kind !== "command") return;
  const problem = commandExecutableProblem(config as CommandConfig);
  if (problem) throw invalidRequest({ "config.command": problem });
}

/**
 * Creates a runtime. `kind` + `config` were validated together by runtimeCreateSchema.
 * A command runtime's executable must resolve on this machine (runnable.ts).
 * @param now UTC ms.
 * @throws AppError 409 `runtime_name_taken`; 400 `invalid_request` with `config.command`
 *   when the executable is not found.
 */
export async function createRuntime(input: RuntimeCreateInput, now: number, db: Db = getDb()): Promise<RuntimeRow> {
  assertCommandExecutable(input.kind, input.config);
  const row: RuntimeRow = {
    id: randomUUID(),
    name: input.name,
    kind: input.kind,
    config: input.config as Record<string, unknown>,
    isDefault: false,
    createdAt: now,
    updatedAt: now,
  };
  await withNameGuard(input.name, () =>
    withTransaction(db, async (tx) => {
      await lockRuntimeWrites(tx);
      await assertNameFree(tx, input.name);
      const hasDefault = await selectDefaultRuntime(tx);
      row.isDefault = input.isDefault === true || !hasDefault;
      if (row.isDefault) await clearDefaultRuntime(tx, now);
      await insertRuntime(tx, row);
    }),
  );
  return row;
}

/**
 * Applies a partial update. A new `config` (or `kind`) is validated against the
 * resulting kind; changing the kind requires a config for it.
 * @param now UTC ms.
 * @throws AppError 404 `runtime_not_found`, 400 `invalid_request` with `fields`
 *   (`config.command` when a new command's executable is not found), 409 `runtime_name_taken`.
 */
export async function updateRuntime(id: string, patch: RuntimePatchInput, now: number, db: Db = getDb()): Promise<RuntimeRow> {
  const current = await getRuntime(id, db);
  const next: RuntimeRow = { ...current, updatedAt: now };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.kind !== undefined || patch.config !== undefined) {
    if (patch.kind !== undefined && patch.kind !== current.kind && patch.config === undefined) {
      throw invalidRequest({ config: `is required when changing kind to ${patch.kind}` });
    }
    const parsed = runtimeKindConfigSchema.safeParse({ kind: patch.kind ?? current.kind, config: patch.config ?? current.config });
    if (!parsed.success) throw invalidRequest(zodFields(parsed.error));
    assertCommandExecutable(parsed.data.kind, parsed.data.config);
    next.kind = parsed.data.kind;
    next.config = parsed.data.config as Record<string, unknown>;
  }
  if (patch.isDefault === false && current.isDefault) {
    throw invalidRequest({ isDefault: "there must be a default runtime: set isDefault on another runtime instead" });
  }
  if (patch.isDefault === true) next.isDefault = true;
  await withNameGuard(patch.name, () =>
    withTransaction(db, async (tx) => {
      await lockRuntimeWrites(tx);
      // Re-read under the lock: another writer may have moved the default meanwhile.
      const stored = await selectRuntime(tx, id);
      if (!stored) throw notFound("runtime", id);
      next.isDefault = patch.isDefault === true || stored.isDefault;
      if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
      if (next.isDefault && !stored.isDefault) await clearDefaultRuntime(tx, now);
      await updateRuntimeRow(tx, id, next);
    }),
  );
  return next;
}

/**
 * Deletes a runtime. Chat conversations on it (naming it, or — for the default — relying
 * on the default) move to the default runtime (`runtimeId` null) and drop their
 * `sessionId` in the same transaction: another runtime can't resume that session, so the
 * next message starts a new one with the recent transcript. History stays.
 * @param now UTC ms.
 * @throws AppError 404 `runtime_not_found`; 409 `runtime_in_use` while a schedule names
 *   it, or — for the default runtime — while a schedule relies on the default
 *   (`runtimeId` null), or while a reply streams in one of its chat conversations.
 *   Deleting the default promotes the oldest remaining runtime.
 */
export async function deleteRuntime(id: string, now: number, db: Db = getDb()): Promise<void> {
  await withTransaction(db, async (tx) => {
        await lockRuntimeWrites(tx);
        // Re-read under the lock: another writer may have made it (or another) the default meanwhile.
        const current = await selectRuntime(tx, id);
        if (!current) throw notFound("runtime", id);
        const named = await countSchedulesNamingRuntime(tx, id);
        const viaDefault = current.isDefault ? await countSchedulesOnDefaultRuntime(tx) : 0;
        if (named + viaDefault > 0) {
          throw new AppError(
            "runtime_in_use",
            named
              ? `${named} schedule${named === 1 ? " uses" : "s use"} runtime "${current.name}"; move ${named === 1 ? "it" : "them"} to another runtime first.`
              : `${viaDefault} schedule${viaDefault === 1 ? " uses" : "s use"} the default runtime "${current.name}"; make another runtime the default first.`,
            { extra: { scheduleCount: named + viaDefault } },
          );
        }
        const streaming = await countStreamingChatsOnRuntime(tx, id, current.isDefault);
        if (streaming > 0) {
          throw new AppError("runtime_in_use", `A chat reply is streaming on runtime "${current.name}"; delete it once the reply has finished.`);
        }
        await detachChatsFromRuntime(tx, id, current.isDefault);
        await deleteRuntimeRow(tx, id);
        if (current.isDefault) {
          const heir = await selectOldestRuntimeId(tx);
          if (heir) await setDefaultRuntime(tx, heir, now);
        }
      });
}

/**
 * API shape of a runtime (API.md `Runtime`). Configs hold no secrets, only env var names;
 * a literal secret stored before ADR 0008 is answered as `[redacted]`.
 */
export function serializeRuntime(r: RuntimeRow): RuntimeDto {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    config: redactConfigSecrets(r.config),
    isDefault: r.isDefault,
    createdAt: toIso(r.createdAt)!,
    updatedAt: toIso(r.updatedAt)!,
  };
}
