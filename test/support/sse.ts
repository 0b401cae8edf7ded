/**
 * Reads a `text/event-stream` body incrementally: each item is a parsed `data:` JSON
 * payload or a comment line (`: keepalive`).
 */
export type SseItem<T> = { data: T } | { comment: string };

export async function* readSse<T = any>(body: ReadableStream<Uint8Array>): AsyncGenerator<SseItem<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
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
          if (line.startsWith("data: ")) yield { data: JSON.parse(line.slice(6)) as T };
          else if (line.startsWith(":")) yield { comment: line.slice(1).trim() };
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Every `data:` payload of a stream read to its end. */
export async function collectSse<T = any>(body: ReadableStream<Uint8Array>): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: T[] = [];
  for await (const item of readSse<T>(body)) if ("data" in item) out.push(item.data);
  return out;
}
