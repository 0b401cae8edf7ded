/**
 * Reads a `text/event-stream` body incrementally (browser and tests): yields each
 * `data:` line parsed as JSON, and comment lines (`: keepalive`) as `{comment}`.
 * EventSource can't POST, so the chat reads its stream with fetch + ReadableStream.
 */
export type SseItem<T> = { data: T } | { comment: string };

export async function* readSse<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem<T>> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of block.split("\n")) {
          if (line.startsWith("data:")) yield { data: JSON.parse(line.slice(5).trimStart()) as T };
          else if (line.startsWith(":")) yield { comment: line.slice(1).trim() };
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
