import "server-only";
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { chatConversations, chatMessages, type ChatConversationRow } from "../db/schema";
import { AppError } from "../errors";
import { isConversationStreaming } from "./chat-engine";
import { getConversation } from "./conversations";
import type { ConversationPatchInput } from "./input";
import { withTransaction } from "../db/client";

function assertNotStreaming(id: string): void {
  if (isConversationStreaming(id)) {
    throw new AppError("conversation_busy", "A reply is still streaming in this conversation: wait for it or stop it first.");
  }
}

/**
 * Renames a conversation (PATCH /api/chat/conversations/:id {title}); updatedAt is kept,
 * so a rename doesn't move it to the top of the list.
 * @throws AppError 404 `conversation_not_found`.
 */
export async function renameConversation(db: Db, id: string, input: ConversationPatchInput): Promise<ChatConversationRow> {
  await getConversation(id, db);
  db.update(chatConversations).set({ title: input.title }).where(eq(chatConversations.id, id)).run();
  return getConversation(id, db);
}

/**
 * Deletes a conversation and its messages (one transaction).
 * @throws AppError 404 `conversation_not_found`, 409 `conversation_busy` while a reply streams.
 */
export async function deleteConversation(db: Db, id: string): Promise<void> {
  await getConversation(id, db);
  assertNotStreaming(id);
  await withTransaction(db, async (tx) => {
        tx.delete(chatMessages).where(eq(chatMessages.conversationId, id)).run();
        tx.delete(chatConversations).where(eq(chatConversations.id, id)).run();
      });
}

/**
 * Checks that `messageId` is the conversation's last message, an assistant reply that
 * ended in `error` or `aborted`, and returns the user message it answered. Writes nothing.
 * @throws AppError 404 `conversation_not_found` / `message_not_found`,
 *   409 `conversation_busy`, 409 `message_not_retryable` (not the last reply, or not failed).
 */
export async function retryableExchange(db: Db, conversationId: string, messageId: string): Promise<{ userMessageId: string; content: string }> {
  await getConversation(conversationId, db);
  assertNotStreaming(conversationId);
  const target = db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.id, messageId), eq(chatMessages.conversationId, conversationId)))
    .get();
  if (!target) throw new AppError("message_not_found", `No message with id ${messageId} in this conversation.`);
  const [last, user] = db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.conversationId, conversationId))
    .orderBy(desc(chatMessages.createdAt), desc(sql`rowid`))
    .limit(2)
    .all();
  if (target.role !== "assistant" || (target.status !== "error" && target.status !== "aborted") || last?.id !== target.id || user?.role !== "user") {
    throw new AppError("message_not_retryable", "Only the last reply, when it failed or was stopped, can be retried.");
  }
  return { userMessageId: user.id, content: user.content };
}

/** Removes a failed exchange (its user message and reply) so a retry sends the question again in its place. */
export async function removeExchange(db: Db, userMessageId: string, assistantMessageId: string): Promise<void> {
  await withTransaction(db, async (tx) => {
        tx.delete(chatMessages).where(eq(chatMessages.id, assistantMessageId)).run();
        tx.delete(chatMessages).where(eq(chatMessages.id, userMessageId)).run();
      });
}
