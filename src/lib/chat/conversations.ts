import "server-only";
import { randomUUID } from "node:crypto";
import type { ConversationDto, MessageDto } from "../api-types";
import { getDb, type Db } from "../db/client";
import {
  conversationHasMessages,
  insertConversation,
  selectConversation,
  selectConversations,
  selectMessages,
  selectNewestMessages,
} from "../db/queries/chat";
import { runtimeExists } from "../db/queries/runtimes";
import type { ChatConversationRow, ChatMessageRow } from "../db/schema";
import { invalidRequest, notFound } from "../errors";
import { toIso } from "../time/clock";
import type { ConversationCreateInput } from "./input";

/** Title of a conversation created without one; replaced by the first message's start. */
export const UNTITLED_CONVERSATION = "New chat";
const TITLE_FROM_MESSAGE_MAX = 60;

/**
 * Creates a conversation bound to a runtime (null = the default runtime at each turn).
 * @param now UTC ms.
 * @throws AppError 400 `invalid_request` with `fields.runtimeId` for an unknown runtime.
 */
export async function createConversation(input: ConversationCreateInput, now: number, db: Db = getDb()): Promise<ChatConversationRow> {
  const runtimeId = input.runtimeId ?? null;
  if (runtimeId && !(await runtimeExists(db, runtimeId))) {
    throw invalidRequest({ runtimeId: `unknown runtime ${runtimeId}` });
  }
  const row: ChatConversationRow = {
    id: randomUUID(),
    title: input.title ?? UNTITLED_CONVERSATION,
    runtimeId,
    sessionId: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertConversation(db, row);
  return row;
}

/** Every conversation, most recently active first. */
export async function listConversations(db: Db = getDb()): Promise<ChatConversationRow[]> {
  return selectConversations(db);
}

/**
 * One conversation.
 * @throws AppError 404 `conversation_not_found`.
 */
export async function getConversation(id: string, db: Db = getDb()): Promise<ChatConversationRow> {
  const row = await selectConversation(db, id);
  if (!row) throw notFound("conversation", id);
  return row;
}

/**
 * A conversation's messages in the order they were written (queries/chat.ts "Message order").
 * @throws AppError 404 `conversation_not_found`.
 */
export async function listMessages(conversationId: string, db: Db = getDb()): Promise<ChatMessageRow[]> {
  await getConversation(conversationId, db);
  return selectMessages(db, conversationId);
}

/**
 * The last `limit` messages of a conversation known to exist, oldest first (the
 * transcript a stateless runtime gets), read newest-first with a LIMIT so a long
 * conversation is never loaded whole.
 */
export async function recentMessages(conversationId: string, limit: number, db: Db = getDb()): Promise<ChatMessageRow[]> {
  return (await selectNewestMessages(db, conversationId, limit)).reverse();
}

/** True when the conversation has at least one message. */
export async function hasMessages(conversationId: string, db: Db = getDb()): Promise<boolean> {
  return conversationHasMessages(db, conversationId);
}

/** A title from the first user message: its first line, cut at a word near 60 characters. */
export function titleFromMessage(content: string): string {
  const line = content.trim().split("\n")[0].trim();
  if (line.length <= TITLE_FROM_MESSAGE_MAX) return line;
  const cut = line.slice(0, TITLE_FROM_MESSAGE_MAX);
  const space = cut.lastIndexOf(" ");
  return `${(space > 20 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** API shape of a conversation row. */
export function serializeConversation(c: ChatConversationRow): ConversationDto {
  return { id: c.id, title: c.title, runtimeId: c.runtimeId, createdAt: toIso(c.createdAt)!, updatedAt: toIso(c.updatedAt)! };
}

/** API shape of a message row. */
export function serializeMessage(m: ChatMessageRow): MessageDto {
  return {
    id: m.id,
    conversationId: m.conversationId,
    role: m.role,
    content: m.content,
    status: m.status,
    error: m.error,
    createdAt: toIso(m.createdAt)!,
  };
}

/**
 * The content an assistant message is finalized with: what was received, or — when
 * nothing was — a short note saying why, so no finalized message is ever empty
 * (issue 6: "never an empty message").
 */
export function finalizedContent(received: string, status: "complete" | "error" | "aborted", error: string | null): string {
  if (received.trim().length > 0) return received;
  if (status === "aborted") return "(stopped before any reply)";
  if (status === "error") return `(no reply: ${error ?? "the agent failed"})`;
  return "(the agent sent an empty reply)";
}
