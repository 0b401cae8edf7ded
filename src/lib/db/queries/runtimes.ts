import "server-only";
import { and, asc, count, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import type { RuntimeRow } from "../schema";
import { execute, first, run, tablesOf } from "../sql";

/*
 * Runtime rows (runtimes service, registry) and the chat rows a runtime's deletion moves.
 * The default-runtime rule itself lives in src/lib/runtimes/service.ts.
 */

/**
 * Serializes the runtime writes (create, update, delete) of concurrent writers until the
 * transaction ends, so the name check and the default-runtime rule (exactly one default)
 * hold under PostgreSQL's READ COMMITTED: a transaction-level advisory lock there. On
 * SQLite the write transaction (`BEGIN IMMEDIATE`) already serializes writers: no-op.
 * Call first inside `withTransaction`.
 */
export async function lockRuntimeWrites(db: Db): Promise<void> {
  if (db.$dialect !== "pg") return;
  await execute(db, sql`SELECT pg_advisory_xact_lock(hashtext('agentcron.runtimes'))`);
}

/** Every runtime, oldest first (createdAt, then name). */
export async function selectRuntimes(db: Db): Promise<RuntimeRow[]> {
  const { runtimes } = tablesOf(db);
  return run(db, db.select().from(runtimes).orderBy(asc(runtimes.createdAt), asc(runtimes.name)));
}

/** One runtime, or undefined. */
export async function selectRuntime(db: Db, id: string): Promise<RuntimeRow | undefined> {
  const { runtimes } = tablesOf(db);
  return first(db, db.select().from(runtimes).where(eq(runtimes.id, id)).limit(1));
}

/** True when a runtime with this id exists. */
export async function runtimeExists(db: Db, id: string): Promise<boolean> {
  const { runtimes } = tablesOf(db);
  return !!(await first(db, db.select({ id: runtimes.id }).from(runtimes).where(eq(runtimes.id, id)).limit(1)));
}

/** The default runtime (`isDefault`), or undefined when none exists. */
export async function selectDefaultRuntime(db: Db): Promise<RuntimeRow | undefined> {
  const { runtimes } = tablesOf(db);
  return first(db, db.select().from(runtimes).where(eq(runtimes.isDefault, true)).limit(1));
}

/** True when a runtime other than `exceptId` is named `name`. */
export async function runtimeNameTaken(db: Db, name: string, exceptId?: string): Promise<boolean> {
  const { runtimes } = tablesOf(db);
  return !!(await first(
    db,
    db
      .select({ id: runtimes.id })
      .from(runtimes)
      .where(and(eq(runtimes.name, name), exceptId ? ne(runtimes.id, exceptId) : undefined))
      .limit(1),
  ));
}

/** Clears `isDefault` on whichever runtime holds it. `now`: UTC ms. */
export async function clearDefaultRuntime(db: Db, now: number): Promise<void> {
  const { runtimes } = tablesOf(db);
  await run(db, db.update(runtimes).set({ isDefault: false, updatedAt: now }).where(eq(runtimes.isDefault, true)));
}

/** Makes runtime `id` the default (the caller cleared the previous one). `now`: UTC ms. */
export async function setDefaultRuntime(db: Db, id: string, now: number): Promise<void> {
  const { runtimes } = tablesOf(db);
  await run(db, db.update(runtimes).set({ isDefault: true, updatedAt: now }).where(eq(runtimes.id, id)));
}

/** Inserts a complete runtime row. Throws a unique violation (`runtimes_name_unique`) on a taken name. */
export async function insertRuntime(db: Db, row: RuntimeRow): Promise<void> {
  const { runtimes } = tablesOf(db);
  await run(db, db.insert(runtimes).values(row));
}

/** Overwrites a runtime row with `row` (every column but the id). */
export async function updateRuntimeRow(db: Db, id: string, row: RuntimeRow): Promise<void> {
  const { runtimes } = tablesOf(db);
  const { id: _id, ...rest } = row;
  await run(db, db.update(runtimes).set(rest).where(eq(runtimes.id, id)));
}

/** Deletes one runtime row. */
export async function deleteRuntimeRow(db: Db, id: string): Promise<void> {
  const { runtimes } = tablesOf(db);
  await run(db, db.delete(runtimes).where(eq(runtimes.id, id)));
}

/** The oldest runtime's id (createdAt, then name): the heir of a deleted default. */
export async function selectOldestRuntimeId(db: Db): Promise<string | undefined> {
  const { runtimes } = tablesOf(db);
  return (await first(db, db.select({ id: runtimes.id }).from(runtimes).orderBy(asc(runtimes.createdAt), asc(runtimes.name)).limit(1)))?.id;
}

/**
 * The chat conversations that run on runtime `id`: naming it, plus — when it is the
 * default — those relying on the default (`runtimeId` null).
 */
function chatsOnRuntime(db: Db, id: string, isDefault: boolean) {
  const { chatConversations } = tablesOf(db);
  return isDefault ? or(eq(chatConversations.runtimeId, id), isNull(chatConversations.runtimeId)) : eq(chatConversations.runtimeId, id);
}

/** How many assistant messages stream in conversations on runtime `id` (see chatsOnRuntime). */
export async function countStreamingChatsOnRuntime(db: Db, id: string, isDefault: boolean): Promise<number> {
  const { chatConversations, chatMessages } = tablesOf(db);
  const found = await first(
    db,
    db
      .select({ n: count() })
      .from(chatMessages)
      .innerJoin(chatConversations, eq(chatConversations.id, chatMessages.conversationId))
      .where(and(eq(chatMessages.status, "streaming"), chatsOnRuntime(db, id, isDefault)))
      .limit(1),
  );
  return found?.n ?? 0;
}

/** Moves the conversations on runtime `id` to the default runtime (`runtimeId` null) and drops their `sessionId`. */
export async function detachChatsFromRuntime(db: Db, id: string, isDefault: boolean): Promise<void> {
  const { chatConversations } = tablesOf(db);
  await run(db, db.update(chatConversations).set({ runtimeId: null, sessionId: null }).where(chatsOnRuntime(db, id, isDefault)));
}
