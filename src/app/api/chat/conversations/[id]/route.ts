import { serializeConversation } from "@/lib/chat/conversations";
import { conversationPatchSchema } from "@/lib/chat/input";
import { deleteConversation, renameConversation } from "@/lib/chat/manage";
import { json, readJson, otherMethods, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** PATCH /api/chat/conversations/:id {title} → 200 {conversation}; 400 invalid_request; 404 conversation_not_found. */
export const PATCH = route<Params>(async (req, { id }, ctx) => {
  const input = await readJson(req, conversationPatchSchema);
  return json({ conversation: serializeConversation(await renameConversation(ctx.db, id, input)) });
});

/** DELETE /api/chat/conversations/:id → 204, its messages too; 404 conversation_not_found; 409 conversation_busy. */
export const DELETE = route<Params>(async (_req, { id }, ctx) => {
  await deleteConversation(ctx.db, id);
  return new Response(null, { status: 204 });
});

export const { GET, HEAD, POST, PUT } = otherMethods({ PATCH, DELETE });
