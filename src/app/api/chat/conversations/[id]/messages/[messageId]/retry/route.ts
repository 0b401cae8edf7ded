import { startRetryTurn } from "@/lib/chat/turns";
import { otherMethods, route } from "@/lib/http/route";
import { sseResponse } from "@/lib/http/sse";

export const dynamic = "force-dynamic";
type Params = { id: string; messageId: string };

/**
 * POST /api/chat/conversations/:id/messages/:messageId/retry → the same text/event-stream
 * as POST …/messages, answering the question of a failed or stopped last reply again; the
 * failed exchange is replaced. 404 conversation/message not found; 409 conversation_busy,
 * message_not_retryable; 422 runtime_unavailable — all before anything is written.
 */
export const POST = route<Params>(async (req, { id, messageId }) => {
  const turn = await startRetryTurn(id, messageId);
  return sseResponse((emit, signal) => turn.run({ emit, signal }), { requestSignal: req.signal });
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
