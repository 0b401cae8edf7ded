import "server-only";
import { randomUUID } from "node:crypto";
import { asc, desc, eq, sql } from "drizzle-orm";
import type { ConversationDto, MessageDto } from "../api-types";
import { getDb, type Db } from "../db/client";
import { chatConversations, chatMessages, runtimes, type ChatConversationRow, type ChatMessageRow } from "../db/schema";
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
  if (runtimeId && !db.select({ id: runtimes.id }).from(runtimes).where(eq(runtimes.id, runtimeId)).get()) {
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
  db.insert(chatConversations).values(row).run();
  return row;
}

/** Every conversation, most recently active first. */
export async function listConversations(db: Db = getDb()): Promise<ChatConversationRow[]> {
  return db.select().from(chatConversations).orderBy(desc(chatConversations.updatedAt), desc(chatConversations.createdAt)).all();
}

/**
 * One conversation.
 * @throws AppError 404 `conversation_not_found`.
 */
export async function getConversation(id: string, db: Db = getDb()): Promise<ChatConversationRow> {
  const row = db.select().from(chatConversations).where(eq(chatConversations.id, id)).get();
  if (!row) throw notFound("conversation", id);
  return row;
}

/**
 * A conversation's messages in the order they were written (rowid breaks ties between
 * the user message and its reply, which share a millisecond).
 * @throws AppError 404 `conversation_not_found`.
 */
export async function listMessages(conversationId: string, db: Db = getDb()): Promise<ChatMessageRow[]> {
  await getConversation(conversationId, db);
  return db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.conversationId, conversationId))
    .orderBy(asc(chatMessages.createdAt), asc(sql`rowid`))
    .all();
}

/**
 * The last `limit` messages of a conversation known to exist, oldest first (the
 * transcript a stateless runtime gets), read newest-first with a LIMIT so a long
 * conversation is never loaded whole.
 */
export async function recentMessages(conversationId: string, limit: number, db: Db = getDb()): Promise<ChatMessageRow[]> {
  return db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.conversationId, conversationId))
    .orderBy(desc(chatMessages.createdAt), desc(sql`rowid`))
    .limit(limit)
    .all()
    .reverse();
}

/** True when the conversation has at least one message. */
export async function hasMessages(conversationId: string, db: Db = getDb()): Promise<boolean> {
  return !!db.select({ id: chatMessages.id }).from(chatMessages).where(eq(chatMessages.conversationId, conversationId)).limit(1).get();
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
