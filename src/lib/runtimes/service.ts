import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, isNull, ne, or } from "drizzle-orm";
import type { RuntimeDto } from "../api-types";
import { getDb, type Db, withTransaction } from "../db/client";
import { chatConversations, chatMessages, runtimes, schedules, type RuntimeRow } from "../db/schema";
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
  return db.select().from(runtimes).orderBy(asc(runtimes.createdAt), asc(runtimes.name)).all();
}

/**
 * One runtime.
 * @throws AppError 404 `runtime_not_found`.
 */
export async function getRuntime(id: string, db: Db = getDb()): Promise<RuntimeRow> {
  const row = db.select().from(runtimes).where(eq(runtimes.id, id)).get();
  if (!row) throw notFound("runtime", id);
  return row;
}

/** The default runtime, or null when none exists. */
export async function getDefaultRuntime(db: Db = getDb()): Promise<RuntimeRow | null> {
  return db.select().from(runtimes).where(eq(runtimes.isDefault, true)).get() ?? null;
}

/**
 * The name check runs inside the write's `BEGIN IMMEDIATE` transaction: another process
 * sharing the DB file can't insert the same name between the check and the write (which
 * would hit `runtimes_name_unique` and answer 500 instead of 409).
 */
async function assertNameFree(db: Db, name: string, exceptId?: string): Promise<void> {
  const clash = db
    .select({ id: runtimes.id })
    .from(runtimes)
    .where(and(eq(runtimes.name, name), exceptId ? ne(runtimes.id, exceptId) : undefined))
    .get();
  if (clash) throw new AppError("runtime_name_taken", `A runtime named "${name}" already exists; choose another name.`, { fields: { name: "is already used" } });
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
  await withTransaction(db, async (tx) => {
        await assertNameFree(tx, input.name);
        const hasDefault = tx.select({ id: runtimes.id }).from(runtimes).where(eq(runtimes.isDefault, true)).get();
        row.isDefault = input.isDefault === true || !hasDefault;
        if (row.isDefault) tx.update(runtimes).set({ isDefault: false, updatedAt: now }).where(eq(runtimes.isDefault, true)).run();
        tx.insert(runtimes).values(row).run();
      });
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
  await withTransaction(db, async (tx) => {
        if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
        if (next.isDefault && !current.isDefault) {
          tx.update(runtimes).set({ isDefault: false, updatedAt: now }).where(eq(runtimes.isDefault, true)).run();
        }
        tx.update(runtimes).set(next).where(eq(runtimes.id, id)).run();
      });
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
  const current = await getRuntime(id, db);
  await withTransaction(db, async (tx) => {
        const named = tx.select({ n: count() }).from(schedules).where(eq(schedules.runtimeId, id)).get()!.n;
        const viaDefault = current.isDefault ? tx.select({ n: count() }).from(schedules).where(isNull(schedules.runtimeId)).get()!.n : 0;
        if (named + viaDefault > 0) {
          throw new AppError(
            "runtime_in_use",
            named
              ? `${named} schedule${named === 1 ? " uses" : "s use"} runtime "${current.name}"; move ${named === 1 ? "it" : "them"} to another runtime first.`
              : `${viaDefault} schedule${viaDefault === 1 ? " uses" : "s use"} the default runtime "${current.name}"; make another runtime the default first.`,
            { extra: { scheduleCount: named + viaDefault } },
          );
        }
        const chatsOnIt = current.isDefault ? or(eq(chatConversations.runtimeId, id), isNull(chatConversations.runtimeId)) : eq(chatConversations.runtimeId, id);
        const streaming = tx
          .select({ n: count() })
          .from(chatMessages)
          .innerJoin(chatConversations, eq(chatConversations.id, chatMessages.conversationId))
          .where(and(eq(chatMessages.status, "streaming"), chatsOnIt))
          .get()!.n;
        if (streaming > 0) {
          throw new AppError("runtime_in_use", `A chat reply is streaming on runtime "${current.name}"; delete it once the reply has finished.`);
        }
        tx.update(chatConversations).set({ runtimeId: null, sessionId: null }).where(chatsOnIt).run();
        tx.delete(runtimes).where(eq(runtimes.id, id)).run();
        if (current.isDefault) {
          const heir = tx.select({ id: runtimes.id }).from(runtimes).orderBy(asc(runtimes.createdAt), asc(runtimes.name)).get();
          if (heir) tx.update(runtimes).set({ isDefault: true, updatedAt: now }).where(eq(runtimes.id, heir.id)).run();
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
