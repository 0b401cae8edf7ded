import { z } from "zod";
import { LIMITS } from "../db/constants";

/** Longest chat message a person can send (characters); the prompt limit of schedules. */
export const CHAT_MESSAGE_MAX = LIMITS.promptMax;

/** POST /api/chat/conversations body. */
export const conversationCreateSchema = z.strictObject({
  title: z.string().trim().min(1, "must not be empty").max(LIMITS.nameMax, `must be at most ${LIMITS.nameMax} characters`).optional(),
  runtimeId: z.string().min(1).max(200).nullable().optional(),
});
export type ConversationCreateInput = z.infer<typeof conversationCreateSchema>;

/** POST /api/chat/conversations/:id/messages body. */
export const messagePostSchema = z.strictObject({
  content: z
    .string({ error: "is required" })
    .refine((s) => s.trim().length > 0, "must not be empty")
    .refine((s) => s.length <= CHAT_MESSAGE_MAX, `must be at most ${CHAT_MESSAGE_MAX} characters`),
});
export type MessagePostInput = z.infer<typeof messagePostSchema>;

/** PATCH /api/chat/conversations/:id body. */
export const conversationPatchSchema = z.strictObject({
  title: z
    .string({ error: "is required" })
    .trim()
    .min(1, "must not be empty")
    .max(LIMITS.nameMax, `must be at most ${LIMITS.nameMax} characters`),
});
export type ConversationPatchInput = z.infer<typeof conversationPatchSchema>;
