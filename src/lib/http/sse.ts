import "server-only";
import { env } from "../env";

/**
 * The keepalive interval in ms: `AGENTCRON_SSE_KEEPALIVE_MS` (env.ts; for proxies with
 * shorter idle timeouts, and tests), default 15 000 (API.md "Chat": every 15 s).
 */
export function sseKeepaliveMs(): number {
  return env().AGENTCRON_SSE_KEEPALIVE_MS;
}

const encoder = new TextEncoder();

/** One SSE message carrying `data` as a single JSON line. */
export function encodeSseData(data: unknown): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(data)}\n\n`);
}

const KEEPALIVE = encoder.encode(": keepalive\n\n");

export interface SseResponseOptions {
  /** Interval of `: keepalive` comments in ms. Default sseKeepaliveMs(). */
  keepaliveMs?: number;
  /** The request's signal: aborted when the client disconnects. */
  requestSignal?: AbortSignal;
}

/** Writes raw SSE lines (`id:`, `event:`, `retry:` fields); end each message with a blank line. */
export type SseFrameWriter = (text: string) => void;

/**
 * A `text/event-stream` Response fed by `produce`, which sends events with `send` (one
 * `data:` JSON line each) or raw frames with `frame`, and resolves when the stream is
 * over. Shared by the chat stream and the live task events. The `signal` handed to `produce` aborts with reason
 * "cancelled" when the client goes away — request aborted or body stream cancelled,
 * whichever the server reports first — so the producer can stop its agent. `produce`
 * starts at once and keeps running after a disconnect until it settles; sends after
 * that are dropped.
 */
export function sseResponse<T>(
  produce: (send: (event: T) => void, signal: AbortSignal, frame: SseFrameWriter) => Promise<unknown>,
  opts: SseResponseOptions = {},
): Response {
  const keepaliveMs = opts.keepaliveMs ?? sseKeepaliveMs();
  const disconnect = new AbortController();
  const onRequestAbort = () => disconnect.abort("cancelled");
  let closed = false;
  let keepalive: ReturnType<typeof setInterval> | undefined;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (chunk: Uint8Array) => {
        if (closed) return;
        try {
          controller.enqueue(chunk);
        } catch {
          closed = true;
        }
      };
      const finish = () => {
        clearInterval(keepalive);
        opts.requestSignal?.removeEventListener("abort", onRequestAbort);
        if (closed) return;
        closed = true;
        try {
          controller.close();
        } catch {
          // already closed by a cancel
        }
      };
      keepalive = setInterval(() => write(KEEPALIVE), keepaliveMs);
      if (opts.requestSignal?.aborted) onRequestAbort();
      else opts.requestSignal?.addEventListener("abort", onRequestAbort, { once: true });
      produce((event) => write(encodeSseData(event)), disconnect.signal, (text) => write(encoder.encode(text)))
        .catch((err) => console.error("[agentcron] SSE producer failed", err))
        .finally(finish);
    },
    cancel() {
      closed = true;
      clearInterval(keepalive);
      disconnect.abort("cancelled");
    },
  });

  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Reverse proxies (nginx) must not buffer the stream.
      "x-accel-buffering": "no",
    },
  });
}
