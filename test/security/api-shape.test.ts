/**
 * Every /api answer is JSON in the error shape (issue #9 item 5): 405 with `Allow`
 * instead of Next's empty 405, 404 for `/api` itself and unknown routes. The malformed
 * % escape (400) is answered by the proxy: see boundary.test.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DELETE as tasksDelete } from "@/app/api/tasks/route";
import { GET as testGet } from "@/app/api/runtimes/[id]/test/route";
import { POST as settingsPost } from "@/app/api/settings/route";
import { GET as catchAll, POST as catchAllPost } from "@/app/api/[[...slug]]/route";
import { callRoute } from "../http";

const API = path.resolve(__dirname, "../../src/app/api");
const routeFiles = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : e.name === "route.ts" ? [path.join(dir, e.name)] : []));

describe("/api response shapes", () => {
  it("405 method_not_allowed JSON with an Allow header naming what the route implements", async () => {
    const del = await callRoute(tasksDelete, "/api/tasks", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(del.data).toMatchObject({ error: "method_not_allowed", message: expect.stringContaining("GET, HEAD, OPTIONS") });
    const get = await callRoute(testGet, "/api/runtimes/x/test", { params: { id: "x" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("OPTIONS, POST");
    const post = await callRoute(settingsPost, "/api/settings", { method: "POST", json: {} });
    expect(post.headers.get("allow")).toBe("GET, HEAD, OPTIONS, PATCH");
  });

  it("every route file answers every method itself, so Next.js never sends its empty 405", async () => {
    const files = routeFiles(API);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const mod = await import(file);
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        expect(typeof mod[method], `${path.relative(API, file)} ${method}`).toBe("function");
      }
      expect(typeof (mod.HEAD ?? mod.GET), `${path.relative(API, file)} HEAD`).toBe("function");
    }
  });

  it("404 not_found JSON for /api itself and unknown /api routes", async () => {
    for (const p of ["/api", "/api/nope/deeper"]) {
      const res = await callRoute(catchAll, p);
      expect(res.status).toBe(404);
      expect(res.data).toMatchObject({ error: "not_found", message: expect.stringContaining(p) });
    }
    expect((await callRoute(catchAllPost, "/api", { method: "POST", json: {} })).status).toBe(404);
  });
});
