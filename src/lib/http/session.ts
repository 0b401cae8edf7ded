import "server-only";
import { z } from "zod";
import { AppError } from "../errors";
import { currentAccessConfig, matchRequestOrigin, safeNextPath, secretsEqual, servedPort, sessionClearCookie, sessionSetCookie, SIGN_IN_PATH } from "./access";
import { json, readJson } from "./route";

const signInSchema = z.object({ token: z.string().max(4096) });

/**
 * POST /api/session: signs a browser in with AGENTCRON_TOKEN (ADR 0004).
 * - Form post from the sign-in page (`token`, `next`): 303 to `next` with the session
 *   cookie, or 303 back to the sign-in page with `error=invalid`.
 * - JSON `{token}`: 200 `{ok: true}` with the cookie, or 401 `unauthorized`.
 * The cookie holds an HMAC of the token, never the token (access.ts sessionCookieValue).
 * @throws AppError 404 `auth_disabled` when no token is configured; 400 `invalid_request` on a bad JSON body
 */
export async function signIn(req: Request): Promise<Response> {
  const config = currentAccessConfig();
  if (!config.token) throw new AppError("auth_disabled", "Sign-in is off: this server was started without AGENTCRON_TOKEN.");
  const secure = matchRequestOrigin(req.headers, config, servedPort())?.scheme === "https";
  const type = req.headers.get("content-type") ?? "";
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type.trim())) {
    const form = await req.formData().catch(() => new FormData());
    const given = form.get("token");
    const next = safeNextPath(form.get("next"));
    if (typeof given === "string" && secretsEqual(given, config.token)) {
      return new Response(null, { status: 303, headers: { Location: next, "Set-Cookie": sessionSetCookie(config.token, secure) } });
    }
    return new Response(null, { status: 303, headers: { Location: `${SIGN_IN_PATH}?error=invalid&next=${encodeURIComponent(next)}` } });
  }
  const { token } = await readJson(req, signInSchema);
  if (!secretsEqual(token, config.token)) throw new AppError("unauthorized", "That is not this server's AGENTCRON_TOKEN.");
  return json({ ok: true }, 200, { "Set-Cookie": sessionSetCookie(config.token, secure) });
}

/** DELETE /api/session: 204 and a cookie that ends the browser's session. */
export function signOut(): Response {
  return new Response(null, { status: 204, headers: { "Set-Cookie": sessionClearCookie() } });
}
