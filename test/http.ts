/**
 * Calls a Next.js route handler export the way the server does: a real Request and
 * a `{params: Promise}` context. Returns status, headers and the parsed JSON body.
 */
type Handler = (req: Request, ctx: { params: Promise<never> }) => Promise<Response>;

export interface CallOptions {
  method?: string;
  /** JSON body (sets content-type: application/json unless headers say otherwise). */
  json?: unknown;
  /** Raw body, sent as is. */
  body?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
}

export async function callRoute(handler: unknown, path: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = { host: "127.0.0.1:3000", ...opts.headers };
  let body: string | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers["content-type"] ??= "application/json";
  }
  const req = new Request(`http://127.0.0.1:3000${path}`, { method: opts.method ?? "GET", headers, body });
  const res = await (handler as Handler)(req, { params: Promise.resolve((opts.params ?? {}) as never) });
  const text = await res.text();
  let data: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: res.status, headers: res.headers, data, text };
}
