import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { GET as list, POST as create } from "@/app/api/runtimes/route";
import { DELETE as remove, GET as getOne, PATCH as patch } from "@/app/api/runtimes/[id]/route";
import { POST as testRoute } from "@/app/api/runtimes/[id]/test/route";
import { databasePath, getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { eq } from "drizzle-orm";
import { resolveRuntime } from "@/lib/runtimes/registry";
import { AppError } from "@/lib/errors";
import { callRoute } from "./http";
import { makeConversation, makeMessage, makeRuntime, makeSchedule, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";

const AGENT = path.resolve(__dirname, "fixtures/scripted-agent.mjs");
const commandBody = (name = "Local agent", extra: Record<string, unknown> = {}) => ({
  name,
  kind: "command",
  config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", "--turns", "1"], outputFormat: "claude-stream-json" },
  ...extra,
});
const rows = async () => (await rowsOf("runtimes")).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
const conversation = async (id: string) => (await rowsOf("chatConversations")).find((c) => c.id === id);
const post = (json: unknown) => callRoute(create, "/api/runtimes", { method: "POST", json });

/**
 * Starts another process that, in one transaction on this test's database, inserts a default
 * runtime `name` (id "other", createdAt 0) and commits 300 ms later; resolves once the row is
 * written (uncommitted), with `exited`: the process's exit code. On PostgreSQL it takes the
 * runtime-write advisory lock first when `runtimeWriteLock` (as another Agentcron instance does).
 */
async function anotherProcessInserts(name: string, { runtimeWriteLock }: { runtimeWriteLock: boolean }): Promise<{ exited: Promise<unknown> }> {
  const pgUrl = getDb().$dialect === "pg" ? process.env.DATABASE_URL! : null;
  const insert = `INSERT INTO runtimes (id, name, kind, config, is_default, created_at, updated_at) VALUES ('other', '${name}', 'command', '{}', ${pgUrl ? "true" : "1"}, 0, 0)`;
  const script = pgUrl
    ? `const c = new (require("pg").Client)({ connectionString: process.argv[1] });
       (async () => {
         await c.connect();
         await c.query("BEGIN");
         ${runtimeWriteLock ? `await c.query("SELECT pg_advisory_xact_lock(hashtext('agentcron.runtimes'))");` : ""}
         await c.query(${JSON.stringify(insert)});
         console.log("locked");
         setTimeout(async () => { await c.query("COMMIT"); await c.end(); }, 300);
       })().catch((e) => { console.error(e); process.exit(1); });`
    : `const db = new (require("better-sqlite3"))(process.argv[1]);
       db.pragma("busy_timeout = 5000");
       db.exec("BEGIN IMMEDIATE");
       db.prepare(${JSON.stringify(insert)}).run();
       console.log("locked");
       setTimeout(() => { db.exec("COMMIT"); db.close(); }, 300);`;
  const other = spawn(process.execPath, ["-e", script, pgUrl ?? databasePath()], { cwd: path.resolve(__dirname, ".."), stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => other.on("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    other.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    other.on("exit", (code) => reject(new Error(`the other process exited with ${code}`)));
  });
  return { exited };
}

describe("runtimes API", () => {
  beforeEach(async () => truncateAll());

  it("creates a runtime (201) with zod defaults; the first one becomes the default", async () => {
    const res = await post(commandBody());
    expect(res.status).toBe(201);
    expect(res.data.runtime).toMatchObject({ name: "Local agent", kind: "command", isDefault: true });
    expect(res.data.runtime.config).toMatchObject({ promptVia: "stdin", outputFormat: "claude-stream-json" });
    expect(res.data.runtime.createdAt).toMatch(/Z$/);
    const second = await post({ name: "Claude", kind: "claude-agent-sdk", config: { model: "claude-sonnet-4-5", apiKeyEnv: "MY_KEY" } });
    expect(second.status).toBe(201);
    expect(second.data.runtime.isDefault).toBe(false);
    const third = await post({ name: "Ollama", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2" } });
    expect(third.status).toBe(201);
    const listed = await callRoute(list, "/api/runtimes");
    expect(listed.status).toBe(200);
    expect(listed.data.runtimes.map((r: { name: string }) => r.name)).toEqual(["Local agent", "Claude", "Ollama"]);
  });

  it.each([
    [{ name: "x", kind: "shell", config: {} }, "kind"],
    [{ name: "x", kind: "command", config: { command: [] } }, "config.command"],
    [{ name: "x", kind: "command", config: { command: ["agent"], promptVia: "arg" } }, "config.command"],
    [{ name: "x", kind: "command", config: { command: ["agent"], outputFormat: "json" } }, "config.outputFormat"],
    [{ name: "x", kind: "command", config: { command: ["agent"], env: { "BAD NAME": "1" } } }, "config.env.BAD NAME"],
    [{ name: "x", kind: "command", config: { command: ["agent"], env: { OPENAI_API_KEY: "sk-live-123" } } }, "config.env.OPENAI_API_KEY"],
    [{ name: "x", kind: "command", config: { command: ["agent"], env: { GITHUB_TOKEN: "ghp_x" } } }, "config.env.GITHUB_TOKEN"],
    [{ name: "x", kind: "openai-compatible", config: { model: "m" } }, "config.baseUrl"],
    [{ name: "x", kind: "openai-compatible", config: { baseUrl: "not a url", model: "m" } }, "config.baseUrl"],
    [{ name: "x", kind: "claude-agent-sdk", config: { apiKey: "sk-secret" } }, "config"],
    [{ name: "x", kind: "claude-agent-sdk", config: { apiKeyEnv: "sk-ant-123" } }, "config.apiKeyEnv"],
    [{ name: "", kind: "claude-agent-sdk", config: {} }, "name"],
  ])("400 invalid_request with fields for %j", async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(Object.keys(res.data.fields)).toContain(field);
    expect(await rows()).toEqual([]);
  });

  it("400 on a non-JSON body; 409 on a duplicate name", async () => {
    expect((await callRoute(create, "/api/runtimes", { method: "POST", body: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await post(commandBody("Same"))).status).toBe(201);
    const dup = await post(commandBody("Same"));
    expect(dup.status).toBe(409);
    expect(dup.data).toMatchObject({ error: "runtime_name_taken", fields: { name: "is already used" } });
    expect(await rows()).toHaveLength(1);
  });

  it("409 runtime_name_taken (not 500) when another process creates the same name between the check and the insert", async () => {
    expect(await rows()).toEqual([]); // migrated, empty
    // Another process sharing the database holds an uncommitted "Same" and commits it 300 ms
    // later, while this process's create is in flight. On SQLite it holds the write lock (the
    // create waits, then its name check sees "Same"); on PostgreSQL (READ COMMITTED) the check
    // sees nothing and the insert waits on the unique index, then fails: 409 either way.
    const { exited } = await anotherProcessInserts("Same", { runtimeWriteLock: false });
    const res = await post(commandBody("Same"));
    expect(await exited).toBe(0);
    expect(res.status).toBe(409);
    expect(res.data).toMatchObject({ error: "runtime_name_taken", fields: { name: "is already used" } });
    expect((await rows()).map((r) => r.id)).toEqual(["other"]);
  });

  it("exactly one default when another instance creates the first runtime while this one does", async () => {
    // Another instance (same protocol: on PostgreSQL it takes the runtime-write lock) holds an
    // uncommitted default runtime for 300 ms; this create must see it and not become a second default.
    const { exited } = await anotherProcessInserts("Theirs", { runtimeWriteLock: true });
    const res = await post(commandBody("Mine"));
    expect(await exited).toBe(0);
    expect(res.status).toBe(201);
    expect(res.data.runtime.isDefault).toBe(false);
    expect((await rows()).map((r) => [r.name, r.isDefault])).toEqual([
      ["Theirs", true],
      ["Mine", false],
    ]);
  });

  it("403 cross_origin for a state change from another origin", async () => {
    const res = await callRoute(create, "/api/runtimes", { method: "POST", json: commandBody(), headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    expect(await rows()).toEqual([]);
  });

  it("setting isDefault on one clears the others; the default can't be un-set directly", async () => {
    const a = (await post(commandBody("A"))).data.runtime;
    const b = (await post(commandBody("B", { isDefault: true }))).data.runtime;
    expect((await rows()).filter((r) => r.isDefault).map((r) => r.id)).toEqual([b.id]);
    const res = await callRoute(patch, `/api/runtimes/${a.id}`, { method: "PATCH", json: { isDefault: true }, params: { id: a.id } });
    expect(res.status).toBe(200);
    expect((await rows()).filter((r) => r.isDefault).map((r) => r.id)).toEqual([a.id]);
    const unset = await callRoute(patch, `/api/runtimes/${a.id}`, { method: "PATCH", json: { isDefault: false }, params: { id: a.id } });
    expect(unset.status).toBe(400);
    expect(unset.data.fields.isDefault).toBeTruthy();
    expect((await rows()).filter((r) => r.isDefault).map((r) => r.id)).toEqual([a.id]);
  });

  it("PATCH validates a new config against the kind; changing kind needs a config", async () => {
    const r = (await post(commandBody())).data.runtime;
    const call = (json: unknown) => callRoute(patch, `/api/runtimes/${r.id}`, { method: "PATCH", json, params: { id: r.id } });
    expect((await call({ config: { command: [] } })).data.fields).toHaveProperty(["config.command"]);
    expect((await call({ kind: "openai-compatible" })).data.fields).toHaveProperty("config");
    expect((await call({ kind: "nope" })).status).toBe(400);
    expect((await call({ bogus: 1 })).status).toBe(400);
    expect((await rows())[0].config).toEqual(r.config);
    const ok = await call({ name: "Renamed", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "m", apiKeyEnv: "OPENAI_API_KEY" } });
    expect(ok.status).toBe(200);
    expect(ok.data.runtime).toMatchObject({ name: "Renamed", kind: "openai-compatible", config: { model: "m" } });
    expect((await callRoute(getOne, `/api/runtimes/${r.id}`, { params: { id: r.id } })).data.runtime.name).toBe("Renamed");
  });

  it("404 runtime_not_found on GET, PATCH, DELETE and test of an unknown id", async () => {
    const params = { id: "missing" };
    expect((await callRoute(getOne, "/api/runtimes/missing", { params })).data.error).toBe("runtime_not_found");
    expect((await callRoute(patch, "/api/runtimes/missing", { method: "PATCH", json: { name: "x" }, params })).status).toBe(404);
    expect((await callRoute(remove, "/api/runtimes/missing", { method: "DELETE", params })).status).toBe(404);
    expect((await callRoute(testRoute, "/api/runtimes/missing/test", { method: "POST", params })).status).toBe(404);
  });

  it("DELETE: 409 runtime_in_use while a schedule names it or relies on the default; 204 otherwise", async () => {
    const a = (await post(commandBody("A"))).data.runtime; // default
    const b = (await post(commandBody("B"))).data.runtime;
    const schedule = await makeSchedule({ runtimeId: b.id });
    const inUse = await callRoute(remove, `/api/runtimes/${b.id}`, { method: "DELETE", params: { id: b.id } });
    expect(inUse.status).toBe(409);
    expect(inUse.data).toMatchObject({ error: "runtime_in_use", scheduleCount: 1 });

    await makeSchedule({ runtimeId: null });
    const defaultInUse = await callRoute(remove, `/api/runtimes/${a.id}`, { method: "DELETE", params: { id: a.id } });
    expect(defaultInUse.status).toBe(409);
    expect(defaultInUse.data.message).toContain("default");
    expect(await rows()).toHaveLength(2);

    await truncateAll();
    const c = await makeRuntime({ name: "C", isDefault: true, createdAt: 1 });
    const d = await makeRuntime({ name: "D", createdAt: 2 });
    const e = await makeRuntime({ name: "E", createdAt: 3 });
    expect(schedule).toBeTruthy();
    const gone = await callRoute(remove, `/api/runtimes/${c.id}`, { method: "DELETE", params: { id: c.id } });
    expect(gone.status).toBe(204);
    expect((await rows()).map((r) => [r.name, r.isDefault]).sort()).toEqual([["D", true], ["E", false]]);
    expect(e.isDefault).toBe(false);
    expect(d.id).toBeTruthy();
  });

  it("DELETE with chat conversations on it: they move to the default runtime and start a new session; 409 while one streams", async () => {
    const a = await makeRuntime({ name: "A", isDefault: true, createdAt: 1 });
    const b = await makeRuntime({ name: "B", createdAt: 2 });
    const onB = await makeConversation({ runtimeId: b.id, sessionId: "b-session" });
    const onDefault = await makeConversation({ runtimeId: null, sessionId: "a-session" });
    await makeMessage({ conversationId: onB.id, role: "user", content: "hello", status: "complete" });
    const streaming = await makeMessage({ conversationId: onB.id, role: "assistant", content: "", status: "streaming" });

    const busy = await callRoute(remove, `/api/runtimes/${b.id}`, { method: "DELETE", params: { id: b.id } });
    expect(busy.status).toBe(409);
    expect(busy.data).toMatchObject({ error: "runtime_in_use" });
    expect(busy.data.message).toContain("chat");
    expect(await rows()).toHaveLength(2);
    expect(await conversation(onB.id)).toMatchObject({ runtimeId: b.id, sessionId: "b-session" });

    const db = getDb();
    await run(db, db.update(tablesOf(db).chatMessages).set({ status: "complete" }).where(eq(tablesOf(db).chatMessages.id, streaming.id)));
    const gone = await callRoute(remove, `/api/runtimes/${b.id}`, { method: "DELETE", params: { id: b.id } });
    expect(gone.status).toBe(204);
    // No dangling runtime id; B's session can't be resumed by another runtime, so it's dropped
    // (the next message starts a new session with the recent transcript). History stays.
    expect(await conversation(onB.id)).toMatchObject({ runtimeId: null, sessionId: null });
    expect((await rowsOf("chatMessages")).filter((m) => m.conversationId === onB.id)).toHaveLength(2);
    expect(await conversation(onDefault.id)).toMatchObject({ runtimeId: null, sessionId: "a-session" }); // untouched: A is still the default

    // Deleting the default: conversations on the default move to the heir, so their session is dropped too.
    await makeRuntime({ name: "C", createdAt: 3 });
    expect((await callRoute(remove, `/api/runtimes/${a.id}`, { method: "DELETE", params: { id: a.id } })).status).toBe(204);
    expect(await conversation(onDefault.id)).toMatchObject({ runtimeId: null, sessionId: null });
  });

  it("POST /:id/test runs one turn and answers status, text, turns and duration", async () => {
    const r = (await post(commandBody())).data.runtime;
    const res = await callRoute(testRoute, `/api/runtimes/${r.id}/test`, { method: "POST", json: { prompt: "ping" }, params: { id: r.id } });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ responded: true, status: "success", text: "done: ping", turns: 1, error: null, failureReason: null });
    expect(res.data.durationMs).toBeGreaterThan(0);

    const bare = await callRoute(testRoute, `/api/runtimes/${r.id}/test`, { method: "POST", params: { id: r.id } });
    expect(bare.data.text).toContain("pong");
    expect((await callRoute(testRoute, `/api/runtimes/${r.id}/test`, { method: "POST", json: { prompt: "" }, params: { id: r.id } })).status).toBe(400);

    // Saved when its executable existed; gone since (the API refuses to save it now).
    const broken = await makeRuntime({ name: "Broken", config: { command: ["/no/such/agent"], promptVia: "stdin", outputFormat: "text" } });
    const failed = await callRoute(testRoute, `/api/runtimes/${broken.id}/test`, { method: "POST", params: { id: broken.id } });
    expect(failed.data).toMatchObject({ responded: false, status: "error", failureReason: "runtime_missing_executable", turns: 0 });

    // A healthy multi-turn agent stopped by the test's one-turn budget still responded.
    const multi = (await post(commandBody("Multi-turn", { config: { command: [process.execPath, AGENT, "--format", "claude-stream-json", "--turns", "4"], outputFormat: "claude-stream-json" } }))).data.runtime;
    const stopped = await callRoute(testRoute, `/api/runtimes/${multi.id}/test`, { method: "POST", params: { id: multi.id } });
    expect(stopped.data).toMatchObject({ responded: true, status: "max_turns", turns: 1 });
    expect(failed.data.error).toContain("/no/such/agent");
  });
});

describe("runtime executable check on save", () => {
  beforeEach(async () => truncateAll());

  it("400 config.command when the program is not found (a whole command line as argv[0] is named as such); nothing written", async () => {
    const line = await post({ name: "Line", kind: "command", config: { command: ["node agent.mjs --turns 4"] } });
    expect(line.status).toBe(400);
    expect(line.data).toMatchObject({ error: "invalid_request", fields: { "config.command": expect.stringMatching(/separate items/) } });
    const missing = await post({ name: "Missing", kind: "command", config: { command: ["no-such-agent-cli-xyz", "-p"] } });
    expect(missing.data.fields["config.command"]).toMatch(/not found on the server's PATH/);
    const badPath = await post({ name: "Path", kind: "command", config: { command: ["/no/such/agent"] } });
    expect(badPath.data.fields["config.command"]).toMatch(/not an executable file/);
    expect(await rows()).toHaveLength(0);
    // A bare name on PATH, an absolute path, and a relative path from the runtime's cwd all resolve.
    expect((await post({ name: "sh", kind: "command", config: { command: ["sh", "-c", "cat"] } })).status).toBe(201);
    expect((await post(commandBody("abs"))).status).toBe(201);
    expect((await post({ name: "rel", kind: "command", config: { command: ["./sh"], cwd: path.dirname(fs.realpathSync("/bin/sh")) } })).status).toBe(201);

    // PATCH re-checks a new command.
    const id = (await rows()).find((r) => r.name === "sh")!.id;
    const res = await callRoute(patch, `/api/runtimes/${id}`, { method: "PATCH", params: { id }, json: { config: { command: ["nope-nope-agent"] } } });
    expect(res).toMatchObject({ status: 400, data: { fields: { "config.command": expect.stringMatching(/nope-nope-agent/) } } });
    expect((await rows()).find((r) => r.id === id)!.config).toMatchObject({ command: ["sh", "-c", "cat"] });
  });
});

describe("resolveRuntime", () => {
  beforeEach(async () => truncateAll());

  it("null resolves to the default runtime, an id to that runtime, which runs in its config cwd", async () => {
    const def = await makeRuntime({ isDefault: true, config: { command: ["sh", "-c", "pwd; echo $A"], promptVia: "stdin", outputFormat: "text", cwd: "/tmp", env: { A: "from-config" } } });
    const other = await makeRuntime({ kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:1/v1", model: "m", cwd: "/srv" } });
    const resolved = await resolveRuntime(getDb(), null);
    expect(resolved.row.id).toBe(def.id);
    expect(resolved.runtime.kind).toBe("command");
    // The resolved runtime applies its own config: cwd and env reach the process.
    let result: { text?: string | null } | null = null;
    for await (const e of resolved.runtime.run({ prompt: "x", maxTurns: 1, signal: new AbortController().signal })) {
      if (e.type === "result") result = e.result;
    }
    expect(result!.text?.trim().split("\n")).toEqual(["/tmp", "from-config"]);
    expect(await resolveRuntime(getDb(), other.id)).toMatchObject({ row: { id: other.id }, runtime: { kind: "openai-compatible" } });
  });

  it("throws runtime_unavailable (failureReason runtime_missing_executable) with no default, an unknown id or a bad stored config", async () => {
    const expectUnavailable = async (fn: () => Promise<unknown>, text: string) => {
      try {
        await fn();
        throw new Error("expected a throw");
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe("runtime_unavailable");
        expect((err as AppError).extra).toEqual({ failureReason: "runtime_missing_executable" });
        expect((err as AppError).message).toContain(text);
      }
    };
    await expectUnavailable(async () => resolveRuntime(getDb(), null), "No agent runtime is configured");
    await expectUnavailable(async () => resolveRuntime(getDb(), "gone"), "gone");
    const bad = await makeRuntime({ isDefault: true, kind: "openai-compatible", config: { model: "m" } });
    await expectUnavailable(async () => resolveRuntime(getDb(), bad.id), "invalid openai-compatible config");
  });
});
