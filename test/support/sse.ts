import { readSse as readSseTyped } from "@/lib/ui/sse-client";

/** readSse with untyped payloads, for assertions. */
export const readSse = (body: ReadableStream<Uint8Array>) => readSseTyped<any>(body); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every `data:` payload of a stream read to its end. */
export async function collectSse<T = any>(body: ReadableStream<Uint8Array>): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: T[] = [];
  for await (const item of readSseTyped<T>(body)) if ("data" in item) out.push(item.data);
  return out;
}
