/**
 * The error catalogue (src/lib/errors.ts): one code → status map, AppError takes its
 * status from it, and route() turns any thrown value into the API error body in one place.
 */
import { describe, expect, it, vi } from "vitest";
import { AppError, ERROR_STATUS, invalidRequest, notFound } from "@/lib/errors";
import { otherMethods, route } from "@/lib/http/route";
import { parseWith, zodFields } from "@/lib/validation";
import { z } from "zod";
import { callRoute } from "./http";

describe("error catalogue", () => {
  it("keeps the codes and statuses of API.md (outside tests depend on them)", () => {
    expect(ERROR_STATUS).toMatchObject({
      invalid_request: 400,
      unauthorized: 401,
      host_not_allowed: 403,
      cross_origin: 403,
      not_found: 404,
      schedule_not_found: 404,
      task_not_found: 404,
      method_not_allowed: 405,
      schedule_not_active: 409,
      task_finished: 409,
      runtime_in_use: 409,
      payload_too_large: 413,
      capacity_full: 429,
      internal_error: 500,
    });
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(code, code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it("AppError takes its status from the catalogue, never from the caller", () => {
    const err = new AppError("capacity_full", "All 2 slots are busy.", { extra: { slotEtaSec: 12 } });
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(429);
    expect(err.toBody()).toEqual({ error: "capacity_full", message: "All 2 slots are busy.", slotEtaSec: 12 });
    expect(notFound("schedule", "s1").status).toBe(404);
    expect(notFound("schedule", "s1").code).toBe("schedule_not_found");
    const bad = invalidRequest({ maxTurns: "must be at most 10000" });
    expect(bad.status).toBe(400);
    expect(bad.toBody()).toEqual({ error: "invalid_request", message: "Fix the invalid field: maxTurns.", fields: { maxTurns: "must be at most 10000" } });
  });
});

describe("route() maps errors to responses in one place", () => {
  it("answers an AppError with its catalogue status and the body {error, message, fields?, …extra}", async () => {
    const handler = route(() => {
      throw new AppError("runtime_name_taken", "A runtime named \"x\" already exists.", { fields: { name: "is already used" } });
    });
    const res = await callRoute(handler, "/api/runtimes", { method: "POST", json: {} });
    expect(res.status).toBe(409);
    expect(res.data).toEqual({ error: "runtime_name_taken", message: "A runtime named \"x\" already exists.", fields: { name: "is already used" } });
  });

  it("hides anything else behind 500 internal_error and logs it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const handler = route(() => {
      throw new Error("SQLITE_CONSTRAINT: secret detail");
    });
    const res = await callRoute(handler, "/api/tasks");
    expect(res.status).toBe(500);
    expect(res.data).toEqual({ error: "internal_error", message: "Something went wrong on the server; see its log." });
    expect(res.text).not.toContain("SQLITE");
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });

  it("answers unsupported methods 405 method_not_allowed with Allow", async () => {
    const { DELETE } = otherMethods({ GET: () => null });
    const res = await callRoute(DELETE, "/api/tasks", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(res.data.error).toBe("method_not_allowed");
  });
});

describe("validation.ts (domain-neutral: no HTTP)", () => {
  const schema = z.object({ name: z.string().max(3, "is too long"), n: z.number().int("must be an integer") });

  it("parseWith throws invalid_request naming each bad field", () => {
    let thrown: unknown;
    try {
      parseWith(schema, { name: "long", n: 1.5 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).toBody()).toMatchObject({ error: "invalid_request", fields: { name: "is too long", n: "must be an integer" } });
    expect(parseWith(schema, { name: "ok", n: 2 })).toEqual({ name: "ok", n: 2 });
  });

  it("refuses NUL bytes before the schema, and zodFields names the root `body`", () => {
    expect(() => parseWith(schema, { name: "a\0", n: 1 })).toThrow(/NUL bytes/);
    const parsed = z.object({}).safeParse("x");
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(Object.keys(zodFields(parsed.error))).toEqual(["body"]);
  });
});
