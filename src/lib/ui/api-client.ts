/**
 * Browser-side fetch helper for the Agentcron API: JSON in and out, API errors
 * (`{error, message, fields}`) thrown as ApiError so forms can show field messages.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The ApiError for a refused response whose JSON body (`{error, message, fields}`, or {} when unreadable) is `body`. */
export function toApiError(res: Response, body: Record<string, unknown>): ApiError {
  return new ApiError(
    res.status,
    String(body.error ?? "http_error"),
    String(body.message ?? `Request failed with ${res.status}`),
    body.fields as Record<string, string> | undefined,
    body,
  );
}

/** fetch() + JSON; throws ApiError on a non-2xx answer. 204 yields undefined. */
export async function apiFetch<T>(path: string, init?: RequestInit & { json?: unknown }): Promise<T> {
  const { json, headers, ...rest } = init ?? {};
  const res = await fetch(path, {
    ...rest,
    headers: { ...(json !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw toApiError(res, body);
  return body as T;
}
