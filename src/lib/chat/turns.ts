import "server-only";
import { bootState } from "../boot";
import { getDb, type Db } from "../db/client";
import { prepareChatTurn, type PreparedChatTurn } from "./chat-engine";
import { removeExchange, retryableExchange } from "./manage";

/*
 * The chat turns the HTTP routes start (POST …/messages and …/messages/:id/retry), so the
 * routes only parse, call one function and answer. The assistant message is stamped with
 * this process's runner id (boot reconcile finalizes a dead runner's streaming messages).
 */

/**
 * A new user message in a conversation: validated and its runtime resolved, nothing written
 * until the returned turn runs.
 * @throws AppError 404 `conversation_not_found`, 409 `conversation_busy`, 422 `runtime_unavailable`.
 */
export async function startMessageTurn(conversationId: string, content: string, db: Db = getDb()): Promise<PreparedChatTurn> {
  return prepareChatTurn({ db, conversationId, content, runnerId: bootState().runnerId });
}

/**
 * Answers the question of a failed or stopped last reply again: checks the exchange is
 * retryable and the turn can start (runtime, busy) before removing anything, then removes
 * the failed exchange; the returned turn writes the question and a new reply in its place.
 * @throws AppError 404 `conversation_not_found` / `message_not_found`, 409 `conversation_busy`
 *   / `message_not_retryable`, 422 `runtime_unavailable` — all before anything is written.
 */
export async function startRetryTurn(conversationId: string, messageId: string, db: Db = getDb()): Promise<PreparedChatTurn> {
  const { userMessageId, content } = await retryableExchange(db, conversationId, messageId);
  const turn = await prepareChatTurn({ db, conversationId, content, runnerId: bootState().runnerId });
  await removeExchange(db, userMessageId, messageId);
  return turn;
}
