import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { GET, PATCH } from "@/app/api/settings/route";
import { env } from "@/lib/env";
import { rowsOf } from "./support/rows";
import { callRoute } from "./http";
import { truncateAll } from "./factories";

describe("/api/settings", () => {
  beforeEach(async () => truncateAll());
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it("returns the defaults", async () => {
    const res = await callRoute(GET, "/api/settings");
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ maxConcurrent: 2, maxRunDurationSec: 1200, chatPressureDelaySec: 30, lockedByEnv: [] });
  });

  it("stores a PATCH, returns the new values and audits it", async () => {
    const res = await callRoute(PATCH, "/api/settings", { method: "PATCH", json: { maxConcurrent: 4, chatPressureDelaySec: 5 } });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ maxConcurrent: 4, maxRunDurationSec: 1200, chatPressureDelaySec: 5 });
    expect((await callRoute(GET, "/api/settings")).data.maxConcurrent).toBe(4);
    const audit = await rowsOf("events");
    expect(audit.map((e) => e.kind)).toEqual(["settings_changed"]);
  });

  it("lets the environment win over the stored value", async () => {
    await callRoute(PATCH, "/api/settings", { method: "PATCH", json: { maxConcurrent: 4 } });
    vi.stubEnv("SCHEDULE_MAX_CONCURRENT", "7");
    const res = await callRoute(GET, "/api/settings");
    expect(res.data.maxConcurrent).toBe(7);
    expect(res.data.lockedByEnv).toEqual(["maxConcurrent"]);
  });

  it("refuses a bad environment value, naming the variable (env.ts stops the boot on it)", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.stubEnv("SCHEDULE_MAX_RUN_DURATION_SEC", "-5");
    vi.stubEnv("SCHEDULE_CHAT_PRESSURE_DELAY_SEC", "1.5");
    expect(() => env()).toThrow(/SCHEDULE_MAX_RUN_DURATION_SEC="-5" must be a whole number.*SCHEDULE_CHAT_PRESSURE_DELAY_SEC="1.5"/);
    const res = await callRoute(GET, "/api/settings");
    expect(res.status).toBe(500);
    log.mockRestore();
  });

  it.each([
    [{ maxConcurrent: 0 }, "maxConcurrent"],
    [{ maxConcurrent: -1 }, "maxConcurrent"],
    [{ maxRunDurationSec: 1.5 }, "maxRunDurationSec"],
    [{ chatPressureDelaySec: "10" }, "chatPressureDelaySec"],
    [{ bogus: 1 }, "body"],
  ])("rejects %j with 400 naming %s and stores nothing", async (body, field) => {
    const res = await callRoute(PATCH, "/api/settings", { method: "PATCH", json: body });
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(Object.keys(res.data.fields)).toContain(field);
    expect((await callRoute(GET, "/api/settings")).data).toMatchObject({ maxConcurrent: 2, maxRunDurationSec: 1200, chatPressureDelaySec: 30 });
  });

  it("rejects a malformed body and a wrong content type", async () => {
    const bad = await callRoute(PATCH, "/api/settings", { method: "PATCH", body: "{oops", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(bad.data.fields).toHaveProperty("body");
    const wrongType = await callRoute(PATCH, "/api/settings", { method: "PATCH", body: "maxConcurrent=3", headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.data.fields).toHaveProperty("contentType");
  });
});
