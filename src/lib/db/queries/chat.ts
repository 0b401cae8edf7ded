import "server-only";
import { and, asc, desc, eq, inArray, max, sql, type SQL } from "drizzle-orm";
import type { Db } from "../client";
import type { ChatConversationRow, ChatMessageRow, RunnerRow } from "../schema";
import { dialectSql, first, greatest, run, tablesOf } from "../sql";

/*
 * Chat conversations and messages (src/lib/chat/). Message order: `createdAt` (UTC ms),
 * which the turn writes keep strictly increasing within a conversation (insertTurnMessages),
 * then — for rows written before that rule, which share a millisecond — SQLite's rowid
 * (insertion order). PostgreSQL has no rowid and no such older rows: the id settles it.
 */

/** The insertion-order tie-breaker (see above). */
function insertionOrder(db: Db): SQL {
  const { chatMessages } = tablesOf(db);
  return dialectSql(db, { sqlite: sql`rowid`, pg: sql`${chatMessages.id}` });
}

/** Inserts a conversation row. */
export async function insertConversation(db: Db, row: ChatConversationRow): Promise<void> {
  const { chatConversations } = tablesOf(db);
  await run(db, db.insert(chatConversations).values(row));
}

/** Every conversation, most recently active first. */
export async function selectConversations(db: Db): Promise<ChatConversationRow[]> {
  const { chatConversations } = tablesOf(db);
  return run(db, db.select().from(chatConversations).orderBy(desc(chatConversations.updatedAt), desc(chatConversations.createdAt)));
}

/** One conversation, or undefined. */
export async function selectConversation(db: Db, id: string): Promise<ChatConversationRow | undefined> {
  const { chatConversations } = tablesOf(db);
  return first(db, db.select().from(chatConversations).where(eq(chatConversations.id, id)).limit(1));
}

/** Sets a conversation's title (updatedAt kept). */
export async function updateConversationTitle(db: Db, id: string, title: string): Promise<void> {
  const { chatConversations } = tablesOf(db);
  await run(db, db.update(chatConversations).set({ title }).where(eq(chatConversations.id, id)));
}

/** Deletes a conversation and its messages (call inside a transaction). */
export async function deleteConversationRows(db: Db, id: string): Promise<void> {
  const { chatConversations, chatMessages } = tablesOf(db);
  await run(db, db.delete(chatMessages).where(eq(chatMessages.conversationId, id)));
  await run(db, db.delete(chatConversations).where(eq(chatConversations.id, id)));
}

/** A conversation's messages, oldest first (order: see the top of this file). */
export async function selectMessages(db: Db, conversationId: string): Promise<ChatMessageRow[]> {
  const { chatMessages } = tablesOf(db);
  return run(db, db.select().from(chatMessages).where(eq(chatMessages.conversationId, conversationId)).orderBy(asc(chatMessages.createdAt), asc(insertionOrder(db))));
}

/** The newest `limit` messages of a conversation, newest first. */
export async function selectNewestMessages(db: Db, conversationId: string, limit: number): Promise<ChatMessageRow[]> {
  const { chatMessages } = tablesOf(db);
  return run(
    db,
    db
      .select()
      .from(chatMessages)
      .where(eq(chatMessages.conversationId, conversationId))
      .orderBy(desc(chatMessages.createdAt), desc(insertionOrder(db)))
      .limit(limit),
  );
}

/** True when the conversation has at least one message. */
export async function conversationHasMessages(db: Db, conversationId: string): Promise<boolean> {
  const { chatMessages } = tablesOf(db);
  return !!(await first(db, db.select({ id: chatMessages.id }).from(chatMessages).where(eq(chatMessages.conversationId, conversationId)).limit(1)));
}

/** One message of a conversation, or undefined. */
export async function selectConversationMessage(db: Db, conversationId: string, messageId: string): Promise<ChatMessageRow | undefined> {
  const { chatMessages } = tablesOf(db);
  return first(db, db.select().from(chatMessages).where(and(eq(chatMessages.id, messageId), eq(chatMessages.conversationId, conversationId))).limit(1));
}

/** Deletes messages by id. */
export async function deleteMessages(db: Db, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const { chatMessages } = tablesOf(db);
  await run(db, db.delete(chatMessages).where(inArray(chatMessages.id, ids)));
}

/**
 * Writes one chat turn's start (call inside a transaction): the user message (`complete`)
 * and the assistant reply (`streaming`, stamped with `runnerId`), and bumps the
 * conversation's `updatedAt` (and `title`, when given). The two messages get `createdAt`
 * `at` and `at + 1` — or later, after the conversation's newest message — so the
 * conversation's order never depends on a tie-breaker.
 * @param now UTC ms.
 */
export async function insertTurnMessages(
  db: Db,
  turn: { conversationId: string; userMessageId: string; assistantMessageId: string; content: string; runnerId: string | null; title?: string },
  now: number,
): Promise<void> {
  const { chatConversations, chatMessages } = tablesOf(db);
  const newest = (await first(db, db.select({ at: max(chatMessages.createdAt) }).from(chatMessages).where(eq(chatMessages.conversationId, turn.conversationId)).limit(1)))?.at;
  const at = newest != null && Number(newest) >= now ? Number(newest) + 1 : now;
  await run(
    db,
    db.insert(chatMessages).values([
      { id: turn.userMessageId, conversationId: turn.conversationId, role: "user", content: turn.content, status: "complete", createdAt: at, updatedAt: now },
      { id: turn.assistantMessageId, conversationId: turn.conversationId, role: "assistant", content: "", status: "streaming", runnerId: turn.runnerId, createdAt: at + 1, updatedAt: now },
    ]),
  );
  await run(
    db,
    db
      .update(chatConversations)
      .set({ updatedAt: now, ...(turn.title !== undefined ? { title: turn.title } : {}) })
      .where(eq(chatConversations.id, turn.conversationId)),
  );
}

/** Saves the text received so far on a message still `streaming`. `now`: UTC ms. */
export async function updateStreamingContent(db: Db, messageId: string, content: string, now: number): Promise<void> {
  const { chatMessages } = tablesOf(db);
  await run(db, db.update(chatMessages).set({ content, updatedAt: now }).where(and(eq(chatMessages.id, messageId), eq(chatMessages.status, "streaming"))));
}

/**
 * Finalizes a `streaming` message (a message already finalized is left alone) and stores
 * the conversation's session id; the conversation's `updatedAt` only moves forward. Call
 * inside a transaction. `now`: UTC ms.
 */
export async function finalizeTurn(
  db: Db,
  turn: { conversationId: string; messageId: string; content: string; status: "complete" | "error" | "aborted"; error: string | null; sessionId: string | null },
  now: number,
): Promise<void> {
  const { chatConversations, chatMessages } = tablesOf(db);
  await run(
    db,
    db
      .update(chatMessages)
      .set({ content: turn.content, status: turn.status, error: turn.error, updatedAt: now })
      .where(and(eq(chatMessages.id, turn.messageId), eq(chatMessages.status, "streaming"))),
  );
  await run(
    db,
    db
      .update(chatConversations)
      .set({ sessionId: turn.sessionId, updatedAt: greatest(db, chatConversations.updatedAt, now) })
      .where(eq(chatConversations.id, turn.conversationId)),
  );
}

/** A `streaming` message with what boot reconcile needs of its runner (null fields when the runner row is gone). */
export interface StreamingMessage {
  id: string;
  content: string;
  runnerId: string | null;
  runner: Pick<RunnerRow, "pid" | "hostKey" | "processStartTime" | "stoppedAt" | "heartbeatAt"> | null;
}

/** Every `streaming` message with its runner's liveness fields. */
export async function selectStreamingMessages(db: Db): Promise<StreamingMessage[]> {
  const { chatMessages, runners } = tablesOf(db);
  return run(
    db,
    db
      .select({
        id: chatMessages.id,
        content: chatMessages.content,
        runnerId: chatMessages.runnerId,
        runner: { pid: runners.pid, hostKey: runners.hostKey, processStartTime: runners.processStartTime, stoppedAt: runners.stoppedAt, heartbeatAt: runners.heartbeatAt },
      })
      .from(chatMessages)
      .leftJoin(runners, eq(runners.id, chatMessages.runnerId))
      .where(eq(chatMessages.status, "streaming")),
  );
}

/** Marks a message still `streaming` as `error` with `error` and `content`. `now`: UTC ms. */
export async function failStreamingMessage(db: Db, messageId: string, content: string, error: string, now: number): Promise<void> {
  const { chatMessages } = tablesOf(db);
  await run(db, db.update(chatMessages).set({ status: "error", error, content, updatedAt: now }).where(and(eq(chatMessages.id, messageId), eq(chatMessages.status, "streaming"))));
}
