import { bootState } from "@/lib/boot";
import { prepareChatTurn } from "@/lib/chat/chat-engine";
import { removeExchange, retryableExchange } from "@/lib/chat/manage";
import { getDb } from "@/lib/db/client";
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
  const db = getDb();
  const { userMessageId, content } = await retryableExchange(db, id, messageId);
  // Validate the turn (runtime, busy) before removing anything; both steps are synchronous.
  const turn = await prepareChatTurn({ db, conversationId: id, content, runnerId: bootState().runnerId });
  await removeExchange(db, userMessageId, messageId);
  return sseResponse((emit, signal) => turn.run({ emit, signal }), { requestSignal: req.signal });
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
