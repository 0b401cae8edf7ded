import { listMessages, serializeMessage } from "@/lib/chat/conversations";
import { messagePostSchema } from "@/lib/chat/input";
import { startMessageTurn } from "@/lib/chat/turns";
import { sseResponse } from "@/lib/http/sse";
import { json, otherMethods, readJson, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** GET /api/chat/conversations/:id/messages → {messages}; 404 conversation_not_found. */
export const GET = route<Params>(async (_req, { id }) => json({ messages: (await listMessages(id)).map(serializeMessage) }));

/**
 * POST /api/chat/conversations/:id/messages {content} → text/event-stream of
 * ChatStreamEvent (`status`, `delta`…, then `done` or `error`) with `: keepalive`
 * comments; a client disconnect aborts the agent. 400/404/409/422 JSON before streaming.
 */
export const POST = route<Params>(async (req, { id }) => {
  const { content } = await readJson(req, messagePostSchema);
  const turn = await startMessageTurn(id, content);
  return sseResponse((emit, signal) => turn.run({ emit, signal }), { requestSignal: req.signal });
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
