import { NextResponse, type NextRequest } from "next/server";
import { ERROR_STATUS, type ErrorCode } from "@/lib/errors";
import { decideAccessNow, SIGN_IN_PATH, type AccessDenial } from "@/lib/http/access";

/**
 * Next.js proxy (successor of middleware; Node.js runtime): the one gate every request
 * passes — pages, API, SSE streams, static files (no matcher, so nothing is skipped).
 * Applies the boundary of src/lib/http/access.ts (Host allow-list, Origin allow-list for
 * writes, token) and answers a malformed % escape in an /api path with 400 JSON before
 * Next.js's router would fail on it. ADR 0004.
 */
export function proxy(req: NextRequest): Response {
  const pathname = req.nextUrl.pathname;
  const isApi = pathname === "/api" || pathname.startsWith("/api/");
  let denial: AccessDenial | null;
  try {
    denial = decideAccessNow({ method: req.method, pathname, headers: req.headers });
  } catch (err) {
    // A bad access variable (the boot hook refuses those at start): fail closed.
    console.error("[agentcron] access check failed", err);
    return answer(isApi, "internal_error", "The server's access settings are invalid; see its log.");
  }
  if (denial) {
    if (denial.signIn && (req.method === "GET" || req.method === "HEAD")) {
      // Absolute on Next's own base URL (a relative Location throws in the proxy adapter);
      // Next.js sends it on relative to that base, so it works behind a reverse proxy too.
      const signIn = new URL(`${SIGN_IN_PATH}?next=${encodeURIComponent(pathname + req.nextUrl.search)}`, req.nextUrl);
      return new Response(null, { status: 303, headers: { Location: signIn.toString(), "Cache-Control": "no-store" } });
    }
    return answer(isApi, denial.code, denial.message);
  }
  if (isApi && !decodable(pathname)) {
    return answer(true, "invalid_request", "The request path has a malformed % escape.", { path: "has a malformed % escape" });
  }
  return NextResponse.next();
}

function decodable(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/** JSON in the API error shape for /api, a plain text page otherwise; the status is the code's (errors.ts). */
function answer(isApi: boolean, code: ErrorCode, message: string, fields?: Record<string, string>): Response {
  const status = ERROR_STATUS[code];
  const headers = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
  if (isApi) return Response.json({ error: code, message, ...(fields ? { fields } : {}) }, { status, headers });
  return new Response(`${status} ${code}: ${message}\n`, { status, headers: { ...headers, "Content-Type": "text/plain; charset=utf-8" } });
}
