import { createConversation, listConversations, serializeConversation } from "@/lib/chat/conversations";
import { conversationCreateSchema } from "@/lib/chat/input";
import { json, otherMethods, readJson, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** GET /api/chat/conversations → {conversations}, most recently active first. */
export const GET = route(async () => json({ conversations: (await listConversations()).map(serializeConversation) }));

/** POST /api/chat/conversations {title?, runtimeId?} → 201 {conversation}; 400 on an unknown runtime. */
export const POST = route(async (req, _params, ctx) => {
  const input = await readJson(req, conversationCreateSchema);
  return json({ conversation: serializeConversation(await createConversation(input, ctx.clock.now(), ctx.db)) }, 201);
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
