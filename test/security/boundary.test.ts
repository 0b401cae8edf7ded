/**
 * The HTTP boundary (issue #9 items 1–3, ADR 0004) at route level: src/proxy.ts (the gate
 * every request passes) and the route() helper (the second check on API routes), called
 * with real Requests. The e2e spec e2e/security.spec.ts replays the same attacks against
 * `next start`.
 */
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as listRuntimes, POST as createRuntime } from "@/app/api/runtimes/route";
import { GET as health } from "@/app/api/health/route";
import { DELETE as signOutRoute, POST as signInRoute } from "@/app/api/session/route";
import { sessionCookieValue } from "@/lib/http/access";
import { proxy } from "@/proxy";
import { callRoute } from "../http";
import { truncateAll } from "../factories";
import { rowsOf } from "../support/rows";

const TOKEN = "t0ken-for-tests-0123456789abcdef0123456789";
const ENV = ["AGENTCRON_TOKEN", "AGENTCRON_ALLOWED_ORIGINS", "AGENTCRON_TRUST_PROXY", "PORT"];
const saved: Record<string, string | undefined> = {};
beforeEach(async () => {
  for (const name of ENV) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
  await truncateAll();
});
afterEach(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

/** Runs the proxy on a request to 127.0.0.1:3000 (the port tests serve on) with these headers. */
async function gate(method: string, path: string, headers: Record<string, string> = {}) {
  const res = proxy(new NextRequest(`http://127.0.0.1:3000${path}`, { method, headers: { host: "127.0.0.1:3000", ...headers } }));
  const passed = res.headers.get("x-middleware-next") === "1";
  const text = passed ? "" : await res.text();
  let data: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { passed, status: res.status, headers: res.headers, data, text };
}

const EVIL = { host: "evil.example:3000", origin: "http://evil.example:3000" };
const sh = { name: "pwn", kind: "command", config: { command: ["/bin/sh", "-c", "echo owned"] } };
const runtimeRows = () => rowsOf("runtimes");

describe("Host allow-list (DNS rebinding)", () => {
  it.each([
    ["GET", "/api/runtimes", {}],
    ["POST", "/api/runtimes", { "content-type": "application/json" }],
    ["GET", "/api/tasks/abc/events", { accept: "text/event-stream" }],
    ["GET", "/api/health", {}],
  ])("refuses %s %s for Host evil.example:3000 with 403 host_not_allowed JSON", async (method, path, extra) => {
    const res = await gate(method, path, { ...EVIL, ...extra });
    expect(res.passed).toBe(false);
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(res.data).toMatchObject({ error: "host_not_allowed", message: expect.any(String) });
  });

  it("refuses a page and a static asset for a foreign Host with a plain 403 page", async () => {
    for (const path of ["/", "/settings", "/_next/static/chunks/app.js"]) {
      const res = await gate("GET", path, EVIL);
      expect(res.status).toBe(403);
      expect(res.headers.get("content-type")).toMatch(/text\/plain/);
      expect(res.text).toContain("host_not_allowed");
    }
  });

  it("lets the loopback names through only with the served port", async () => {
    for (const host of ["127.0.0.1:3000", "localhost:3000", "[::1]:3000", "LOCALHOST:3000"]) {
      expect((await gate("GET", "/api/runtimes", { host })).passed).toBe(true);
    }
    for (const host of ["127.0.0.1:3001", "localhost", "127.0.0.2:3000", "evil.example", "", "127.0.0.1:3000@evil.example"]) {
      expect((await gate("GET", "/api/runtimes", { host })).status).toBe(403);
    }
    process.env.PORT = "4123";
    expect((await gate("GET", "/api/runtimes", { host: "127.0.0.1:4123" })).passed).toBe(true);
    expect((await gate("GET", "/api/runtimes", { host: "127.0.0.1:3000" })).status).toBe(403);
  });

  it("the route helper refuses a rebinding write on its own (no proxy) and writes nothing", async () => {
    const res = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: sh, headers: EVIL });
    expect(res.status).toBe(403);
    expect(res.data.error).toBe("host_not_allowed");
    expect(await runtimeRows()).toEqual([]);
    expect((await callRoute(listRuntimes, "/api/runtimes", { headers: EVIL })).status).toBe(403);
  });
});

describe("forwarded headers", () => {
  it("ignores X-Forwarded-Host/Proto without AGENTCRON_TRUST_PROXY", async () => {
    // A foreign Host stays foreign whatever X-Forwarded-Host claims…
    expect((await gate("GET", "/api/runtimes", { host: "evil.example:3000", "x-forwarded-host": "127.0.0.1:3000" })).status).toBe(403);
    // …and a forged X-Forwarded-Host does not lock out or reroute a loopback request.
    expect((await gate("GET", "/api/runtimes", { host: "127.0.0.1:3000", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" })).passed).toBe(true);
    const write = await callRoute(createRuntime, "/api/runtimes", {
      method: "POST",
      json: sh,
      headers: { "x-forwarded-host": "evil.example:3000", origin: "http://evil.example:3000" },
    });
    expect(write.status).toBe(403);
    expect(write.data.error).toBe("cross_origin");
    expect(await runtimeRows()).toEqual([]);
  });

  it("honours them with AGENTCRON_TRUST_PROXY=1 for an allowed origin only", async () => {
    process.env.AGENTCRON_TRUST_PROXY = "1";
    process.env.AGENTCRON_ALLOWED_ORIGINS = "https://cron.example.com";
    const viaProxy = { host: "127.0.0.1:3000", "x-forwarded-host": "cron.example.com", "x-forwarded-proto": "https" };
    expect((await gate("GET", "/api/runtimes", viaProxy)).passed).toBe(true);
    expect((await gate("POST", "/api/runtimes", { ...viaProxy, origin: "https://cron.example.com" })).passed).toBe(true);
    expect((await gate("GET", "/api/runtimes", { ...viaProxy, "x-forwarded-proto": "http" })).status).toBe(403);
    expect((await gate("GET", "/api/runtimes", { ...viaProxy, "x-forwarded-host": "evil.example" })).status).toBe(403);
    expect((await gate("GET", "/api/runtimes", { ...viaProxy, "x-forwarded-host": "evil.example, cron.example.com" })).status).toBe(403);
  });
});

describe("AGENTCRON_ALLOWED_ORIGINS and the Origin check", () => {
  it("allows the listed origins as Host and as Origin of a write, scheme and port included", async () => {
    process.env.AGENTCRON_ALLOWED_ORIGINS = "https://cron.example.com, http://10.0.0.5:8080";
    expect((await gate("GET", "/", { host: "cron.example.com" })).passed).toBe(true);
    expect((await gate("GET", "/", { host: "10.0.0.5:8080" })).passed).toBe(true);
    expect((await gate("GET", "/", { host: "10.0.0.5:8081" })).status).toBe(403);
    expect((await gate("POST", "/api/runtimes", { host: "cron.example.com", origin: "https://cron.example.com" })).passed).toBe(true);
    for (const origin of ["http://cron.example.com", "https://cron.example.com:8443", "https://evil.example", "null"]) {
      const res = await gate("POST", "/api/runtimes", { host: "cron.example.com", origin });
      expect(res.status, origin).toBe(403);
      expect(res.data.error).toBe("cross_origin");
    }
  });

  it("checks Origin against the allow-list, not against the request's own Host", async () => {
    // The bug this replaces: Host and Origin both say evil.example, so they "matched".
    process.env.AGENTCRON_ALLOWED_ORIGINS = "http://evil.example:3000";
    const ok = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: sh, headers: EVIL });
    expect(ok.status).toBe(201);
    delete process.env.AGENTCRON_ALLOWED_ORIGINS;
    const res = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: { ...sh, name: "pwn2" }, headers: { origin: "http://evil.example:3000" } });
    expect(res.status).toBe(403);
    expect(res.data.error).toBe("cross_origin");
    expect((await runtimeRows()).map((r) => r.name)).toEqual(["pwn"]);
  });

  it("lets a loopback write without Origin through (curl), and GETs with any Origin", async () => {
    const res = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: sh });
    expect(res.status).toBe(201);
    expect((await gate("GET", "/api/runtimes", { origin: "https://evil.example" })).passed).toBe(true);
    expect((await gate("POST", "/api/runtimes", { "sec-fetch-site": "cross-site" })).status).toBe(403);
  });
});

describe("AGENTCRON_TOKEN", () => {
  beforeEach(() => {
    process.env.AGENTCRON_TOKEN = TOKEN;
  });

  it("401 unauthorized for the API without the bearer, with a wrong one, 200 with it", async () => {
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      const headers: Record<string, string> = authorization ? { authorization } : {};
      const res = await gate("GET", "/api/runtimes", headers);
      expect(res.status, String(authorization)).toBe(401);
      expect(res.data).toMatchObject({ error: "unauthorized", message: expect.any(String) });
      expect((await callRoute(listRuntimes, "/api/runtimes", { headers })).status).toBe(401);
    }
    expect((await gate("GET", "/api/runtimes", { authorization: `Bearer ${TOKEN}` })).passed).toBe(true);
    expect((await callRoute(listRuntimes, "/api/runtimes", { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    const write = await callRoute(createRuntime, "/api/runtimes", { method: "POST", json: sh });
    expect(write.status).toBe(401);
    expect(await runtimeRows()).toEqual([]);
  });

  it("keeps GET /api/health, the sign-in page and build assets open, and nothing else", async () => {
    expect((await gate("GET", "/api/health")).passed).toBe(true);
    expect((await callRoute(health, "/api/health")).status).not.toBe(401);
    expect((await gate("POST", "/api/health")).status).toBe(401);
    expect((await gate("GET", "/sign-in")).passed).toBe(true);
    expect((await gate("GET", "/_next/static/chunks/x.js")).passed).toBe(true);
    expect((await gate("GET", "/api/health", EVIL)).status).toBe(403);
  });

  it("sends signed-out pages to the sign-in page with where they were going", async () => {
    const res = await gate("GET", "/tasks?status=failed");
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.pathname + location.search).toBe("/sign-in?next=%2Ftasks%3Fstatus%3Dfailed");
  });

  it("signs a browser in with a form post: HttpOnly SameSite=Strict cookie holding no token", async () => {
    const form = new URLSearchParams({ token: TOKEN, next: "/settings" }).toString();
    const res = await callRoute(signInRoute, "/api/session", {
      method: "POST",
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://127.0.0.1:3000" },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/settings");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^agentcron_session=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    expect(cookie).not.toContain(TOKEN);
    const value = cookie.split(";")[0];
    expect((await gate("GET", "/api/runtimes", { cookie: value })).passed).toBe(true);
    expect((await gate("GET", "/settings", { cookie: `other=1; ${value}` })).passed).toBe(true);
    expect((await callRoute(listRuntimes, "/api/runtimes", { headers: { cookie: value } })).status).toBe(200);
    // A cookie for another token, or the raw token as the cookie, is not a session.
    expect((await gate("GET", "/api/runtimes", { cookie: `agentcron_session=${sessionCookieValue(`${TOKEN}-old`)}` })).status).toBe(401);
    expect((await gate("GET", "/api/runtimes", { cookie: `agentcron_session=${TOKEN}` })).status).toBe(401);
  });

  it("a wrong token sends the form back with an error and sets no cookie; JSON gets 401", async () => {
    const res = await callRoute(signInRoute, "/api/session", {
      method: "POST",
      body: new URLSearchParams({ token: "not-the-token", next: "//evil.example/" }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/sign-in?error=invalid&next=%2F");
    expect(res.headers.get("set-cookie")).toBeNull();
    const viaJson = await callRoute(signInRoute, "/api/session", { method: "POST", json: { token: "not-the-token" } });
    expect(viaJson.status).toBe(401);
    expect(viaJson.data.error).toBe("unauthorized");
    const good = await callRoute(signInRoute, "/api/session", { method: "POST", json: { token: TOKEN } });
    expect(good.status).toBe(200);
    expect(good.headers.get("set-cookie")).toContain("HttpOnly; SameSite=Strict");
    const bad = await callRoute(signInRoute, "/api/session", { method: "POST", json: { nope: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.data.error).toBe("invalid_request");
  });

  it("marks the cookie Secure behind an https origin; signing in from another origin is refused", async () => {
    process.env.AGENTCRON_ALLOWED_ORIGINS = "https://cron.example.com";
    const res = await callRoute(signInRoute, "/api/session", { method: "POST", json: { token: TOKEN }, headers: { host: "cron.example.com" } });
    expect(res.headers.get("set-cookie")).toMatch(/; Secure$/);
    const csrf = await callRoute(signInRoute, "/api/session", { method: "POST", json: { token: TOKEN }, headers: { origin: "https://evil.example" } });
    expect(csrf.status).toBe(403);
    const out = await callRoute(signOutRoute, "/api/session", { method: "DELETE" });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^agentcron_session=; Path=\/; Max-Age=0/);
  });

  it("sign-in answers 404 auth_disabled when no token is configured", async () => {
    delete process.env.AGENTCRON_TOKEN;
    const res = await callRoute(signInRoute, "/api/session", { method: "POST", json: { token: TOKEN } });
    expect(res.status).toBe(404);
    expect(res.data.error).toBe("auth_disabled");
  });

  it("fails closed when the access settings are invalid", async () => {
    process.env.AGENTCRON_TOKEN = "short";
    const res = await gate("GET", "/api/runtimes");
    expect(res.status).toBe(500);
    expect(res.data.error).toBe("internal_error");
  });
});

describe("malformed % escape in an /api path", () => {
  it.each(["/api/%zz", "/api/tasks/%E0%A4%A", "/api/runtimes/%"])("%s → 400 invalid_request JSON", async (path) => {
    const res = await gate("GET", path);
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ error: "invalid_request", fields: { path: expect.any(String) } });
  });

  it("still answers a foreign Host with 403 first", async () => {
    expect((await gate("GET", "/api/%zz", EVIL)).status).toBe(403);
  });
});
