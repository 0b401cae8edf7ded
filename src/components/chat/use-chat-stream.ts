"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import type { ChatStreamEvent } from "@/lib/api-types";
import { ApiError, toApiError } from "@/lib/ui/api-client";
import { queryKeys } from "@/lib/ui/queries";
import { readSse } from "@/lib/ui/sse-client";

/** The reply being streamed into the chat view, before the saved messages take over. */
export interface StreamingReply {
  conversationId: string;
  userContent: string;
  text: string;
  phase: "connecting" | "streaming" | "done" | "error" | "aborted";
  messageId?: string;
  userMessageId?: string;
  /** Saved messages this reply replaces (a retried failed exchange), hidden while it streams. */
  replaces?: string[];
  /** From the stream's `status` event: scheduled tasks due now and held back by this chat. */
  heldBackTasks: number;
  error?: string;
}

/**
 * Sends a chat message (or retries a failed last reply: POST …/messages/:id/retry) and reads its SSE reply with fetch + ReadableStream (EventSource
 * can't POST). `stop()` aborts the fetch; the server sees the disconnect and aborts the
 * agent. When the stream ends the saved messages are refetched before the live reply
 * is dropped, so the text never blinks.
 */
export function useChatStream() {
  const queryClient = useQueryClient();
  const [reply, setReply] = useState<StreamingReply | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  const send = useCallback(
    async (conversationId: string, content: string, retry?: { messageId: string; userMessageId: string }) => {
      if (abortRef.current) return;
      const controller = new AbortController();
      abortRef.current = controller;
      const update = (patch: Partial<StreamingReply> | ((r: StreamingReply) => Partial<StreamingReply>)) =>
        setReply((r) => (r ? { ...r, ...(typeof patch === "function" ? patch(r) : patch) } : r));
      setReply({
        conversationId,
        userContent: content,
        text: "",
        phase: "connecting",
        heldBackTasks: 0,
        replaces: retry ? [retry.messageId, retry.userMessageId] : undefined,
      });
      let keepReply = false;
      try {
        // A retry answers the failed reply's question again (the server replaces that exchange).
        const res = retry
          ? await fetch(`/api/chat/conversations/${conversationId}/messages/${retry.messageId}/retry`, { method: "POST", signal: controller.signal })
          : await fetch(`/api/chat/conversations/${conversationId}/messages`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ content }),
              signal: controller.signal,
            });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
          throw toApiError(res, body);
        }
        for await (const item of readSse<ChatStreamEvent>(res.body)) {
          if (!("data" in item)) continue;
          const event = item.data;
          if (event.type === "status") {
            update({ phase: "streaming", messageId: event.messageId, userMessageId: event.userMessageId, heldBackTasks: event.heldBackTasks ?? 0 });
          } else if (event.type === "delta") {
            update((r) => ({ text: r.text + event.text }));
          } else if (event.type === "done") {
            update({ phase: "done" });
          } else if (event.type === "error") {
            update({ phase: event.status === "aborted" ? "aborted" : "error", error: event.message });
          }
        }
      } catch (err) {
        if (controller.signal.aborted) update({ phase: "aborted" });
        else {
          // Nothing was saved when the request was refused (4xx): keep the reply to show why.
          keepReply = err instanceof ApiError;
          update({ phase: "error", error: (err as Error).message });
        }
      } finally {
        abortRef.current = null;
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: queryKeys.messages(conversationId) }),
          queryClient.invalidateQueries({ queryKey: queryKeys.conversations }),
          // The held-back indicator must not outlive the stream by a polling interval.
          queryClient.invalidateQueries({ queryKey: queryKeys.schedulerStatus }),
        ]);
        if (!keepReply) setReply(null);
      }
    },
    [queryClient],
  );

  const stop = useCallback(() => abortRef.current?.abort(), []);
  const dismiss = useCallback(() => setReply(null), []);

  return { reply, send, stop, dismiss, streaming: reply?.phase === "connecting" || reply?.phase === "streaming" };
}
