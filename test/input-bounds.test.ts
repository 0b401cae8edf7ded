/**
 * Security issue #9 item 5: every timestamp input within 1970…9999 (expiresAt in the
 * future), NUL bytes refused in every string that reaches argv, env, cwd or a prompt,
 * and the migration that repairs rows stored before these rules.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { POST as postMessage } from "@/app/api/chat/conversations/[id]/messages/route";
import { POST as createConversation } from "@/app/api/chat/conversations/route";
import { POST as createRuntime } from "@/app/api/runtimes/route";
import { PATCH as patchRuntime } from "@/app/api/runtimes/[id]/route";
import { POST as testRuntime } from "@/app/api/runtimes/[id]/test/route";
import { GET as list, POST as create } from "@/app/api/schedules/route";
import { GET as getOne, PATCH as patch } from "@/app/api/schedules/[id]/route";
import { GET as preview } from "@/app/api/schedules/preview/route";
import { GET as metrics } from "@/app/api/schedules/[id]/metrics/route";
import { GET as taskList } from "@/app/api/tasks/route";
import { POST as execute } from "@/app/api/schedules/[id]/execute/route";
import { getDb, migrateDatabase, openDatabase } from "@/lib/db/client";
import { callRoute } from "./http";
import { makeConversation, makeRuntime, makeSchedule, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";

const valid = { name: "Nightly", prompt: "Triage", cronExpression: "0 9 * * *" };
const scheduleRows = async () => rowsOf("schedules");

beforeEach(async () => truncateAll());

describe("timestamp bounds", () => {
  it.each([
    ["1e300", 1e300],
    ["-1e308", -1e308],
    ["2^53", 2 ** 53],
    ["before 1970", -1],
    ["after 9999", Date.UTC(10_000, 0, 1)],
    ["a far ISO year", "+275760-09-13T00:00:00.000Z"],
    ["in the past", Date.UTC(2000, 0, 1)],
    ["an over-long string", "2030-01-01T00:00:00.000Z".padEnd(100, " ")],
  ])("expiresAt %s → 400 on POST and PATCH, nothing stored, the list still answers", async (_label, expiresAt) => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, expiresAt } });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ error: "invalid_request", fields: { expiresAt: expect.any(String) } });
    expect(await scheduleRows()).toEqual([]);

    const s = await makeSchedule();
    const patched = await callRoute(patch, `/api/schedules/${s.id}`, { method: "PATCH", params: { id: s.id }, json: { expiresAt } });
    expect(patched.status).toBe(400);
    expect(patched.data.fields).toHaveProperty("expiresAt");
    expect((await scheduleRows())[0].expiresAt).toBeNull();
    expect(await rowsOf("events")).toEqual([]);
    expect((await callRoute(list, "/api/schedules")).status).toBe(200);
    expect((await callRoute(getOne, `/api/schedules/${s.id}`, { params: { id: s.id } })).status).toBe(200);
  });

  it("accepts the last instant of 9999 and a future ISO date", async () => {
    await makeRuntime({ isDefault: true }); // an active schedule needs a runnable runtime
    const last = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, expiresAt: Date.UTC(9999, 11, 31, 23, 59, 59, 999) } });
    expect(last.status).toBe(201);
    expect(last.data.schedule.expiresAt).toBe("9999-12-31T23:59:59.999Z");
    const iso = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, name: "b", expiresAt: "2999-01-01T00:00:00Z" } });
    expect(iso.status).toBe(201);
    expect((await callRoute(list, "/api/schedules")).data.schedules).toHaveLength(2);
  });

  it("metrics ?since outside 1970…9999 → 400", async () => {
    const s = await makeSchedule();
    const res = await callRoute(metrics, `/api/schedules/${s.id}/metrics?since=0001-01-01T00:00:00Z`, { params: { id: s.id } });
    expect(res.status).toBe(400);
    expect(res.data.fields).toHaveProperty("since");
  });
});

describe("body size", () => {
  it("a JSON body over 4 MiB → 413 payload_too_large in the error shape, nothing stored", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, prompt: "p".repeat(4 * 1024 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.data).toEqual({ error: "payload_too_large", message: expect.any(String) });
    expect(await scheduleRows()).toEqual([]);
  });
});

describe("NUL bytes", () => {
  it.each([
    ["a schedule prompt", () => callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, prompt: "a\u0000b" } }), "prompt"],
    ["a schedule name", () => callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, name: "a\u0000" } }), "name"],
    ["a timezone", () => callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, timezone: "UTC\u0000" } }), "timezone"],
    ["an argv entry", () => callRoute(createRuntime, "/api/runtimes", { method: "POST", json: { name: "x", kind: "command", config: { command: ["sh", "-c\u0000"] } } }), "config.command.1"],
    ["an env value", () => callRoute(createRuntime, "/api/runtimes", { method: "POST", json: { name: "x", kind: "command", config: { command: ["a"], env: { A: "1\u00002" } } } }), "config.env.A"],
    ["an env name", () => callRoute(createRuntime, "/api/runtimes", { method: "POST", json: { name: "x", kind: "command", config: { command: ["a"], env: { "A\u0000": "1" } } } }), "config.env"],
    ["a cwd", () => callRoute(createRuntime, "/api/runtimes", { method: "POST", json: { name: "x", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "m", cwd: "/tmp\u0000" } } }), "config.cwd"],
    ["a conversation title", () => callRoute(createConversation, "/api/chat/conversations", { method: "POST", json: { title: "\u0000" } }), "title"],
    ["a preview query", () => callRoute(preview, "/api/schedules/preview?cronExpression=*%00&timezone=UTC"), "cronExpression"],
    ["a task list query", () => callRoute(taskList, "/api/tasks?scheduleId=a%00b"), "scheduleId"],
    ["a path segment", () => callRoute(getOne, "/api/schedules/a%00b", { params: { id: "a\u0000b" } }), "id"],
    ["a path segment of a write", () => callRoute(patch, "/api/schedules/%00", { method: "PATCH", params: { id: "\u0000" }, json: { name: "x" } }), "id"],
  ])("in %s → 400 naming the field, nothing stored", async (_label, send, field) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(res.data.fields[field]).toMatch(/NUL/);
    expect(await scheduleRows()).toEqual([]);
    expect(await rowsOf("runtimes")).toEqual([]);
  });

  it("in a chat message, a runtime test prompt, a runtime PATCH and a run-now query", async () => {
    const rt = await makeRuntime();
    const conv = await makeConversation({ runtimeId: rt.id });
    const msg = await callRoute(postMessage, `/api/chat/conversations/${conv.id}/messages`, { method: "POST", params: { id: conv.id }, json: { content: "hi\u0000" } });
    expect(msg.status).toBe(400);
    expect(msg.data.fields.content).toMatch(/NUL/);
    const tested = await callRoute(testRuntime, `/api/runtimes/${rt.id}/test`, { method: "POST", params: { id: rt.id }, json: { prompt: "x\u0000y" } });
    expect(tested.status).toBe(400);
    expect(tested.data.fields.prompt).toMatch(/NUL/);
    const patched = await callRoute(patchRuntime, `/api/runtimes/${rt.id}`, { method: "PATCH", params: { id: rt.id }, json: { config: { command: ["a\u0000"] } } });
    expect(patched.status).toBe(400);
    expect(patched.data.fields["config.command.0"]).toMatch(/NUL/);
    expect((await rowsOf("runtimes")).find((r) => r.id === rt.id)!.config).toEqual(rt.config);
    const s = await makeSchedule();
    const run = await callRoute(execute, `/api/schedules/${s.id}/execute?force=tr%00ue`, { method: "POST", params: { id: s.id } });
    expect(run.status).toBe(400);
    expect(run.data.fields.force).toMatch(/NUL/);
  });

  it("a stored config with a NUL byte makes the runtime unavailable (422), not a 500", async () => {
    const config = { command: ["echo", "a\u0000b"] };
    if (getDb().$dialect === "pg") {
      // PostgreSQL's jsonb can't hold U+0000 (22P05): such a config is never stored there.
      await expect(makeRuntime({ config })).rejects.toThrow();
      expect(await rowsOf("runtimes")).toEqual([]);
      return;
    }
    const rt = await makeRuntime({ config });
    const res = await callRoute(testRuntime, `/api/runtimes/${rt.id}/test`, { method: "POST", params: { id: rt.id } });
    expect(res.status).toBe(422);
    expect(res.data.error).toBe("runtime_unavailable");
  });
});

describe("the repair migration for out-of-range expiresAt", () => {
  it("sets unrepresentable values to NULL, truncates in-range REALs, keeps good rows", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-repair-"));
    const db = openDatabase(path.join(dir, "repair.db"));
    try {
      migrateDatabase(db);
      const good = Date.UTC(2030, 0, 1);
      const ids = { huge: 1e300, negative: -1e308, big: 2 ** 53, infinite: Infinity, real: good + 0.5, good, none: null } as const;
      for (const [name, expiresAt] of Object.entries(ids)) {
        await makeSchedule({ id: name, name }, db);
        db.$client.prepare("UPDATE schedules SET expires_at = ? WHERE id = ?").run(expiresAt, name);
      }
      // Run the repair as a boot would on a database stored before it (its SQL, found by
      // tag in drizzle-kit's journal, so a renumbered migration still counts).
      const folder = path.resolve(__dirname, "../drizzle/sqlite");
      const journal = JSON.parse(fs.readFileSync(path.join(folder, "meta/_journal.json"), "utf8")) as { entries: { tag: string }[] };
      const entry = journal.entries.find((e) => e.tag.endsWith("repair_out_of_range_expires_at"));
      expect(entry).toBeDefined();
      const sql = fs.readFileSync(path.join(folder, `${entry!.tag}.sql`), "utf8");
      for (const statement of sql.split("--> statement-breakpoint")) db.$client.exec(statement);
      const after = Object.fromEntries(
        (db.$client.prepare("SELECT id, expires_at AS e, typeof(expires_at) AS t FROM schedules").all() as { id: string; e: number | null; t: string }[]).map((r) => [r.id, [r.e, r.t]]),
      );
      expect(after).toEqual({
        huge: [null, "null"],
        negative: [null, "null"],
        big: [null, "null"],
        infinite: [null, "null"],
        real: [good, "integer"],
        good: [good, "integer"],
        none: [null, "null"],
      });
    } finally {
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
