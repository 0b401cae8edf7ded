import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { boot, bootState } from "@/lib/boot";
import { resolveDataDir } from "@/lib/db/client";
import { callRoute } from "./http";
import { rowsOf } from "./support/rows";

describe("boot and health", () => {
  it("answers 503 before boot and 200 with the runner id after", async () => {
    const before = await callRoute(health, "/api/health");
    expect(before.status).toBe(503);
    expect(before.data.ok).toBe(false);

    await Promise.all([boot(), boot()]); // once per process, however often it is called
    const after = await callRoute(health, "/api/health");
    expect(after.status).toBe(200);
    expect(after.data).toEqual({ ok: true, version: expect.any(String), runnerId: bootState().runnerId });
    const rows = await rowsOf("runners");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: bootState().runnerId, pid: process.pid, hostname: os.hostname() });
  });

  it("creates a missing data directory and rejects an unwritable one with a clear error", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-dir-"));
    vi.stubEnv("AGENTCRON_DATA_DIR", path.join(base, "nested", "data"));
    expect(resolveDataDir()).toBe(path.join(base, "nested", "data"));
    expect(fs.existsSync(path.join(base, "nested", "data"))).toBe(true);

    const file = path.join(base, "a-file");
    fs.writeFileSync(file, "");
    vi.stubEnv("AGENTCRON_DATA_DIR", path.join(file, "data"));
    expect(() => resolveDataDir()).toThrow(/not writable.*AGENTCRON_DATA_DIR/s);
    vi.unstubAllEnvs();
  });
});
