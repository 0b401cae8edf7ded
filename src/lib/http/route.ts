import "server-only";
import { NextResponse } from "next/server";
import type { z } from "zod";
import { LIMITS } from "../db/constants";
import { requestContext, type ServiceContext } from "../context";
import { AppError, invalidRequest } from "../errors";
import { nulByteFields, parseWith } from "../validation";
import { decideAccessNow } from "./access";

/** Route handlers validate query objects with it; it lives in the domain-neutral validation.ts. */
export { parseWith };

/** JSON response with a status (default 200). */
export function json(data: unknown, status = 200, headers?: HeadersInit): NextResponse {
  return NextResponse.json(data, { status, headers });
}

/**
 * The API error response for any thrown value — the one place an error becomes HTTP:
 * an AppError answers its body with its catalogue status (errors.ts ERROR_STATUS);
 * anything else is logged and answered as 500 `internal_error` without details.
 */
export function errorResponse(err: unknown, headers?: HeadersInit): NextResponse {
  if (err instanceof AppError) return json(err.toBody(), err.status, headers);
  console.error("[agentcron] unhandled error in route", err);
  return errorResponse(new AppError("internal_error", "Something went wrong on the server; see its log."));
}

/**
 * Applies the HTTP boundary (src/lib/http/access.ts: Host allow-list, Origin allow-list
 * for writes, token) to an API request. src/proxy.ts already did for every request; this
 * second check keeps API routes closed if the proxy is ever skipped.
 * @throws AppError 403 `host_not_allowed` / `cross_origin`, 401 `unauthorized`
 */
export function assertAccess(req: Request): void {
  const denial = decideAccessNow({ method: req.method, pathname: new URL(req.url).pathname, headers: req.headers });
  if (denial) throw new AppError(denial.code, denial.message);
}

type RouteContext<P> = { params: Promise<P> };

/**
 * Wraps a route handler: access check (Host, Origin, token), awaited params, the request's
 * service context (`{db, clock}`: context.ts), AppError → JSON error.
 * Keep handlers thin: parse, call one service function with `ctx.db` / `ctx.clock.now()`, answer.
 */
export function route<P = Record<string, never>>(
  handler: (req: Request, params: P, ctx: ServiceContext) => Promise<Response> | Response,
): (req: Request, ctx: RouteContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      assertAccess(req);
      const params = ctx?.params != null ? await ctx.params : ({} as P);
      // A path segment with a NUL byte (`/api/schedules/%00`) names nothing and can't reach a
      // query: PostgreSQL refuses U+0000 in text (a 500), SQLite would just find no row.
      const nul = nulByteFields(params);
      if (nul) throw invalidRequest(nul, "Path segments must not contain NUL bytes.");
      return await handler(req, params, requestContext());
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/** Options of readJson: a smaller size bound, or an optional body. */
export interface ReadJsonOptions {
  /** Bytes; default LIMITS.bodyMaxBytes. */
  maxBytes?: number;
  /** An empty body (no bytes, any content type) is validated as `undefined` instead of refused. */
  optional?: boolean;
}

/**
 * Reads a JSON body and validates it.
 * @throws AppError 400 `invalid_request` on a non-JSON content type (`fields.contentType`),
 *   malformed JSON (`fields.body`) or a schema violation (the offending fields); 413
 *   `payload_too_large` over `maxBytes` (default LIMITS.bodyMaxBytes).
 */
export async function readJson<T extends z.ZodType>(req: Request, schema: T, options: ReadJsonOptions = {}): Promise<z.infer<T>> {
  const maxBytes = options.maxBytes ?? LIMITS.bodyMaxBytes;
  const declared = req.headers.get("content-length");
  if (options.optional && (req.body === null || declared === "0")) return parseWith(schema, undefined);
  const type = req.headers.get("content-type") ?? "";
  const jsonType = /^application\/json\b/i.test(type.trim());
  if (!jsonType && !options.optional) {
    throw invalidRequest({ contentType: "must be application/json" }, "Send the body as JSON with Content-Type: application/json.");
  }
  // Bounded before parsing: the declared length first, then the bytes read.
  const size = maxBytes >= 1024 * 1024 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes / 1024} KiB`;
  const tooLarge = () => new AppError("payload_too_large", `The request body is larger than ${size}.`);
  if (Number(declared ?? 0) > maxBytes) throw tooLarge();
  let body: unknown;
  let text: string;
  try {
    text = await req.text();
  } catch {
    throw invalidRequest({ body: "could not be read" }, "The request body could not be read.");
  }
  if (Buffer.byteLength(text) > maxBytes) throw tooLarge();
  if (options.optional && text.length === 0) return parseWith(schema, undefined);
  if (!jsonType) throw invalidRequest({ contentType: "must be application/json" }, "Send the body as JSON with Content-Type: application/json.");
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidRequest({ body: "is not valid JSON" }, "The request body is not valid JSON.");
  }
  return parseWith(schema, body);
}

/** Query-string parameters as a plain object (last value wins). */
export function queryOf(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.url).searchParams.entries());
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
type Method = (typeof METHODS)[number];
type MethodHandler = (req: Request, ctx: RouteContext<Record<string, string>>) => Promise<Response>;

/**
 * 405 `method_not_allowed` JSON answers, with an `Allow` header, for the methods a route
 * file does not implement (Next.js would answer an empty 405 without `Allow`). At the
 * bottom of a route file: `export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });`
 * `Allow` lists the implemented methods, HEAD with GET (Next derives it), and OPTIONS.
 */
export function otherMethods(implemented: Partial<Record<Method, unknown>>): Record<Method, MethodHandler> {
  const allowed = new Set<string>(["OPTIONS", ...Object.keys(implemented)]);
  if (allowed.has("GET")) allowed.add("HEAD");
  const allow = [...allowed].sort().join(", ");
  const notAllowed = route((req) =>
    errorResponse(new AppError("method_not_allowed", `${req.method} is not supported here; use ${allow}.`), { Allow: allow }),
  );
  return Object.fromEntries(METHODS.map((m) => [m, notAllowed])) as Record<Method, MethodHandler>;
}
