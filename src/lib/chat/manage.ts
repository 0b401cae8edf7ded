import "server-only";
import { withTransaction, type Db } from "../db/client";
import { deleteConversationRows, deleteMessages, selectConversationMessage, selectNewestMessages, updateConversationTitle } from "../db/queries/chat";
import type { ChatConversationRow } from "../db/schema";
import { AppError } from "../errors";
import { isConversationStreaming } from "./chat-engine";
import { getConversation } from "./conversations";
import type { ConversationPatchInput } from "./input";

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
  await updateConversationTitle(db, id, input.title);
  return getConversation(id, db);
}

/**
 * Deletes a conversation and its messages (one transaction).
 * @throws AppError 404 `conversation_not_found`, 409 `conversation_busy` while a reply streams.
 */
export async function deleteConversation(db: Db, id: string): Promise<void> {
  await getConversation(id, db);
  assertNotStreaming(id);
  await withTransaction(db, async (tx) => deleteConversationRows(tx, id));
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
  const target = await selectConversationMessage(db, conversationId, messageId);
  if (!target) throw new AppError("message_not_found", `No message with id ${messageId} in this conversation.`);
  const [last, user] = await selectNewestMessages(db, conversationId, 2);
  if (target.role !== "assistant" || (target.status !== "error" && target.status !== "aborted") || last?.id !== target.id || user?.role !== "user") {
    throw new AppError("message_not_retryable", "Only the last reply, when it failed or was stopped, can be retried.");
  }
  return { userMessageId: user.id, content: user.content };
}

/** Removes a failed exchange (its user message and reply) so a retry sends the question again in its place. */
export async function removeExchange(db: Db, userMessageId: string, assistantMessageId: string): Promise<void> {
  await deleteMessages(db, [assistantMessageId, userMessageId]);
}
