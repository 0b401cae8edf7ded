/**
 * The HTTP security boundary (ADR 0004, API.md "Access"): which Host a request may
 * name, which Origin may change state, and whether it carries the token. One decision
 * function, enforced by src/proxy.ts for every request (pages, API, SSE, static files)
 * and again by the route() helper for API routes, so a proxy bypass still meets it.
 *
 * No `server-only` import: the proxy bundle loads this module too.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { env } from "../env";
import { defaultPort, type AccessConfig, type AllowedOrigin } from "./access-config.mjs";

/** Name of the HttpOnly, SameSite=Strict cookie the sign-in page sets. */
export const SESSION_COOKIE = "agentcron_session";
/** The sign-in page pages redirect to when a token is required. */
export const SIGN_IN_PATH = "/sign-in";
/** POST signs in (sets the cookie), DELETE signs out. */
export const SESSION_API_PATH = "/api/session";
/** Session cookie lifetime, in seconds (30 days; rotating the token ends every session). */
export const SESSION_MAX_AGE_SEC = 30 * 24 * 3600;

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Why a request is refused: status and code from API.md; `signIn` → send a page to the sign-in page. */
export interface AccessDenial {
  status: 401 | 403;
  code: "host_not_allowed" | "cross_origin" | "unauthorized";
  message: string;
  signIn: boolean;
}

/** The parts of a request the boundary looks at. */
export interface AccessRequest {
  method: string;
  /** Raw (undecoded) path, e.g. `/api/tasks`. */
  pathname: string;
  headers: Headers;
}

/**
 * The port this server answers on: `PORT` (env.ts), which `next start` sets to the port
 * it bound before serving the first request (scripts/launch.mjs passes it too); 3000,
 * Next's default, when unset (route-level tests).
 */
export function servedPort(): number {
  return env().PORT;
}

/**
 * This process's access configuration: AGENTCRON_TOKEN, AGENTCRON_ALLOWED_ORIGINS and
 * AGENTCRON_TRUST_PROXY as env.ts validated them (with the rule of access-config.mjs).
 * @throws EnvError when one of them is invalid (the proxy then fails closed)
 */
export function currentAccessConfig(): AccessConfig {
  const e = env();
  return { token: e.AGENTCRON_TOKEN, allowedOrigins: e.AGENTCRON_ALLOWED_ORIGINS, trustProxy: e.AGENTCRON_TRUST_PROXY };
}

/** Every origin this server is reachable through: the loopback names with the served port (http), plus AGENTCRON_ALLOWED_ORIGINS. */
export function allowedOrigins(config: AccessConfig, port: number): AllowedOrigin[] {
  const loopback = LOOPBACK_NAMES.map((hostname) => ({ origin: new URL(`http://${hostname}:${port}`).origin, scheme: "http" as const, hostname, port }));
  return [...loopback, ...config.allowedOrigins];
}

/** First value of a comma-separated header (proxies append), trimmed; null when absent or empty. */
function firstValue(header: string | null): string | null {
  const first = header?.split(",")[0]?.trim();
  return first ? first : null;
}

/** `host[:port]` → parts; null when it is not a plain host name, IPv4 or bracketed IPv6 address. */
function parseHostHeader(value: string): { hostname: string; port: number | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return null;
  return { hostname: m[1].toLowerCase(), port: m[2] ? Number(m[2]) : null };
}

/**
 * The allowed origin a request came in through, or null when its Host (or, with
 * AGENTCRON_TRUST_PROXY=1, its X-Forwarded-Host / X-Forwarded-Proto) names none.
 * A Host without a port means the default port of the scheme (the forwarded one when
 * trusted, else the allowed origin's own: a proxy forwarding `Host: cron.example.com`
 * for https://cron.example.com matches).
 */
export function matchRequestOrigin(headers: Headers, config: AccessConfig, port: number): AllowedOrigin | null {
  const hostValue = (config.trustProxy ? firstValue(headers.get("x-forwarded-host")) : null) ?? headers.get("host");
  const proto = config.trustProxy ? firstValue(headers.get("x-forwarded-proto"))?.toLowerCase() ?? null : null;
  const host = hostValue ? parseHostHeader(hostValue) : null;
  if (!host) return null;
  for (const allowed of allowedOrigins(config, port)) {
    if (allowed.hostname !== host.hostname) continue;
    if (proto && proto !== allowed.scheme) continue;
    if ((host.port ?? defaultPort(proto ?? allowed.scheme)) === allowed.port) return allowed;
  }
  return null;
}

/** True when an `Origin` header value is one of the allowed origins (scheme, host and port). */
export function isAllowedOrigin(origin: string, config: AccessConfig, port: number): boolean {
  let serialized: string;
  try {
    serialized = new URL(origin).origin;
  } catch {
    return false;
  }
  return allowedOrigins(config, port).some((allowed) => allowed.origin === serialized);
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Constant-time equality of two secrets (compares their SHA-256, so lengths never leak). */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * The session cookie's value for a token: HMAC-SHA256(token, "agentcron-session-v1"),
 * base64url. The raw token never sits in the browser; a new token ends every session.
 */
export function sessionCookieValue(token: string): string {
  return createHmac("sha256", token).update("agentcron-session-v1").digest("base64url");
}

/** Value of one cookie in a Cookie header, or null. */
function cookieOf(headers: Headers, name: string): string | null {
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** True when the request carries `Authorization: Bearer <token>` or the session cookie for `token`. */
export function isAuthenticated(headers: Headers, token: string): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "")?.[1];
  if (bearer !== undefined && secretsEqual(bearer, token)) return true;
  const cookie = cookieOf(headers, SESSION_COOKIE);
  return cookie !== null && secretsEqual(cookie, sessionCookieValue(token));
}

/** What needs no token: the health check, the sign-in page and endpoint, build assets (no data in any). */
function isPublic(method: string, pathname: string): boolean {
  const read = method === "GET" || method === "HEAD";
  if (pathname === "/api/health") return read;
  if (pathname === SIGN_IN_PATH) return read;
  if (pathname === SESSION_API_PATH) return method === "POST" || method === "DELETE";
  return read && (pathname.startsWith("/_next/static/") || pathname === "/favicon.ico");
}

/**
 * Requests that authenticate themselves instead of with AGENTCRON_TOKEN: exactly
 * `POST /api/hooks/<one path segment>` (the fire URL, ADR 0019-triggers-hook-auth-and-chaining),
 * whose route checks the schedule's own fire URL token and answers 401 without it. Host and
 * Origin rules still apply; any other method or deeper path needs the app token as usual.
 */
export function isSelfAuthenticated(method: string, pathname: string): boolean {
  return method === "POST" && /^\/api\/hooks\/[^/]+$/.test(pathname);
}

/**
 * The boundary's decision for one request, or null to let it through. In order:
 * 1. Host allow-list (every method, every path) → 403 `host_not_allowed`;
 * 2. state-changing method with an Origin outside the allow-list, or no Origin and
 *    `Sec-Fetch-Site: cross-site` → 403 `cross_origin` (no Origin at all, as curl
 *    sends, passes: the Host check already stopped a rebinding page);
 * 3. AGENTCRON_TOKEN set and neither bearer nor session cookie → 401 `unauthorized`
 *    (pages: `signIn`), except GET /api/health, the sign-in page and build assets, and the
 *    fire URL (isSelfAuthenticated: its route demands the schedule's own token instead).
 */
export function decideAccess(req: AccessRequest, config: AccessConfig, port: number): AccessDenial | null {
  if (!matchRequestOrigin(req.headers, config, port)) {
    return {
      status: 403,
      code: "host_not_allowed",
      message: "This Host is not one Agentcron serves: use http://127.0.0.1:<port>, or add the origin to AGENTCRON_ALLOWED_ORIGINS.",
      signIn: false,
    };
  }
  if (STATE_CHANGING.has(req.method)) {
    const origin = req.headers.get("origin");
    const crossSite = origin === null ? req.headers.get("sec-fetch-site") === "cross-site" : !isAllowedOrigin(origin, config, port);
    if (crossSite) {
      return { status: 403, code: "cross_origin", message: "Requests that change state must come from the Agentcron app's own origin.", signIn: false };
    }
  }
  if (config.token && !isPublic(req.method, req.pathname) && !isSelfAuthenticated(req.method, req.pathname) && !isAuthenticated(req.headers, config.token)) {
    return {
      status: 401,
      code: "unauthorized",
      message: "Sign in: send Authorization: Bearer <AGENTCRON_TOKEN>, or sign in on the /sign-in page.",
      signIn: !req.pathname.startsWith("/api/") && req.pathname !== "/api",
    };
  }
  return null;
}

/** decideAccess with the configuration and served port of this process (env.ts re-reads only what changed: tests change the env). */
export function decideAccessNow(req: AccessRequest): AccessDenial | null {
  return decideAccess(req, currentAccessConfig(), servedPort());
}

/**
 * `Set-Cookie` for a signed-in browser: HttpOnly, SameSite=Strict, Path=/, 30 days,
 * Secure when the request came through an https origin.
 */
export function sessionSetCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionCookieValue(token)}; Path=/; Max-Age=${SESSION_MAX_AGE_SEC}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** `Set-Cookie` that ends the session. */
export function sessionClearCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`;
}

/** A same-site path to return to after sign-in (`/…` but not `//…` or `/\…`), else `/`. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/";
  return next;
}
