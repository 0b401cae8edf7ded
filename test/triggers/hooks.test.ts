/**
 * The fire URL (issue 12 item 1): POST /api/hooks/:scheduleId with the schedule's own token,
 * idempotency keys, the cap shared with Run now, and the hole it must not open in the HTTP
 * boundary (ADR 0004): the AGENTCRON_TOKEN exemption covers exactly this one route.
 */
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as fireRoute, GET as fireGet } from "@/app/api/hooks/[scheduleId]/route";
import { POST as executeRoute } from "@/app/api/schedules/[id]/execute/route";
import { POST as rotateRoute, DELETE as revokeRoute } from "@/app/api/schedules/[id]/hook-token/route";
import { GET as getScheduleRoute } from "@/app/api/schedules/[id]/route";
import { GET as taskRoute } from "@/app/api/tasks/[id]/route";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { HOOK_IDEMPOTENCY_TTL_MS } from "@/lib/triggers/limits";
import { proxy } from "@/proxy";
import { makeSchedule, truncateAll } from "../factories";
import { callRoute } from "../http";
import { allTasks, eventsOf, setCap, startTestScheduler, stopTestSchedulers, taskById } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

const APP_TOKEN = "app-t0ken-for-hook-tests-0123456789abcdef";
const ENV = ["AGENTCRON_TOKEN", "AGENTCRON_ALLOWED_ORIGINS", "AGENTCRON_TRUST_PROXY", "PORT"];
const saved: Record<string, string | undefined> = {};

beforeEach(async () => {
  for (const name of ENV) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
  await truncateAll();
  const db = getDb();
  await run(db, db.delete(tablesOf(db).hookIdempotencyKeys));
});
afterEach(async () => {
  await stopTestSchedulers();
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const rotate = async (id: string) => {
  const res = await callRoute(rotateRoute, `/api/schedules/${id}/hook-token`, { method: "POST", params: { id } });
  expect(res.status).toBe(201);
  return res.data.token as string;
};
const fire = (id: string, token: string | null, opts: { key?: string; json?: unknown; body?: string; query?: string; headers?: Record<string, string> } = {}) =>
  callRoute(fireRoute, `/api/hooks/${id}${opts.query ?? ""}`, {
    method: "POST",
    params: { scheduleId: id },
    json: opts.json,
    body: opts.body,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(opts.key ? { "idempotency-key": opts.key } : {}), ...opts.headers },
  });

/** Runs the proxy (the gate every request passes) for a request to the test origin. */
function gate(method: string, path: string, headers: Record<string, string> = {}) {
  const res = proxy(new NextRequest(`http://127.0.0.1:3000${path}`, { method, headers: { host: "127.0.0.1:3000", ...headers } }));
  return { passed: res.headers.get("x-middleware-next") === "1", status: res.status };
}

describe("fire URL token", () => {
  it("is shown once, stored only as a hash, and rotating it retires the old one", async () => {
    const s = await makeSchedule();
    const first = await rotate(s.id);
    expect(first).toMatch(/^achk_[A-Za-z0-9_-]{43}$/);
    const shown = await callRoute(getScheduleRoute, `/api/schedules/${s.id}`, { params: { id: s.id } });
    expect(shown.data.schedule).toMatchObject({ hookTokenSet: true, hookTokenCreatedAt: expect.any(String) });
    expect(shown.text).not.toContain(first);
    const db = getDb();
    const row = (await run(db, db.select().from(tablesOf(db).schedules))).find((r) => r.id === s.id)!;
    expect(row.hookTokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.hookTokenHash).not.toContain(first);

    await startTestScheduler();
    const second = await rotate(s.id);
    expect(second).not.toBe(first);
    expect(await fire(s.id, first)).toMatchObject({ status: 401, data: { error: "unauthorized", message: expect.any(String) } });
    expect((await fire(s.id, second)).status).toBe(202);
    expect((await eventsOf(s.id)).map((e) => e.kind)).toContain("hook_token_rotated");

    expect((await callRoute(revokeRoute, `/api/schedules/${s.id}/hook-token`, { method: "DELETE", params: { id: s.id } })).status).toBe(204);
    expect((await fire(s.id, second)).status).toBe(401);
    expect((await callRoute(rotateRoute, "/api/schedules/nope/hook-token", { method: "POST", params: { id: "nope" } })).status).toBe(404);
  });

  it("answers 401 in the error shape for a missing, wrong, other schedule's, or never-generated token, and writes nothing", async () => {
    await startTestScheduler();
    const a = await makeSchedule({ name: "A" });
    const b = await makeSchedule({ name: "B" });
    const noToken = await makeSchedule({ name: "C" });
    const tokenA = await rotate(a.id);
    await rotate(b.id);
    for (const [id, token] of [
      [a.id, null],
      [a.id, "achk_wrong"],
      [a.id, tokenA + "x"],
      [b.id, tokenA], // A's token can't fire B
      [noToken.id, tokenA],
      ["no-such-schedule", tokenA],
    ] as const) {
      const res = await fire(id, token, { key: "k1", json: { x: 1 } });
      expect(res.status, `${id} ${token}`).toBe(401);
      expect(res.data).toEqual({ error: "unauthorized", message: expect.any(String) });
    }
    // Basic auth or the app's session cookie are not the fire URL token either.
    expect((await fire(a.id, null, { headers: { authorization: `Basic ${Buffer.from(`x:${tokenA}`).toString("base64")}` } })).status).toBe(401);
    expect(await allTasks()).toHaveLength(0);
  });

  it("with AGENTCRON_TOKEN set: the fire URL needs its own token (not the app token); nothing else opens", async () => {
    process.env.AGENTCRON_TOKEN = APP_TOKEN;
    await startTestScheduler();
    const s = await makeSchedule();
    // Generating a token is an app action: it needs the app token.
    expect((await callRoute(rotateRoute, `/api/schedules/${s.id}/hook-token`, { method: "POST", params: { id: s.id } })).status).toBe(401);
    const token = (await callRoute(rotateRoute, `/api/schedules/${s.id}/hook-token`, { method: "POST", params: { id: s.id }, headers: { authorization: `Bearer ${APP_TOKEN}` } })).data.token;

    // The gate lets exactly POST /api/hooks/<id> through to be authenticated by the route.
    expect(gate("POST", `/api/hooks/${s.id}`).passed).toBe(true);
    for (const [method, path] of [
      ["GET", `/api/hooks/${s.id}`],
      ["PUT", `/api/hooks/${s.id}`],
      ["POST", `/api/hooks/${s.id}/x`],
      ["POST", "/api/hooks"],
      ["POST", `/api/hooks/${s.id}/../../schedules`],
      ["POST", "/api/hooks/%2e%2e/schedules"],
      ["POST", `/api/schedules/${s.id}/execute`],
    ] as const) {
      expect(gate(method, path, { authorization: `Bearer ${token}` }), `${method} ${path}`).toMatchObject({ passed: false, status: 401 });
    }
    // Host and Origin rules still hold for the fire URL.
    expect(gate("POST", `/api/hooks/${s.id}`, { host: "evil.example:3000" })).toMatchObject({ passed: false, status: 403 });
    expect(gate("POST", `/api/hooks/${s.id}`, { origin: "http://evil.example" })).toMatchObject({ passed: false, status: 403 });

    // At the route: the app token alone is not a fire URL token; the hook token alone works.
    expect((await fire(s.id, APP_TOKEN)).status).toBe(401);
    expect((await fire(s.id, token)).status).toBe(202);
    // The hook token is no app token: other routes refuse it.
    expect((await callRoute(getScheduleRoute, `/api/schedules/${s.id}`, { params: { id: s.id }, headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await callRoute(fireGet, `/api/hooks/${s.id}`, { params: { scheduleId: s.id }, headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

describe("POST /api/hooks/:scheduleId", () => {
  it("creates a manual hook task with the body for {{trigger.body}}; the same Idempotency-Key answers the first task", async () => {
    await setCap(3);
    const { runtime } = await startTestScheduler();
    runtime.setScript({ hold: true });
    const s = await makeSchedule({ prompt: "Deploy {{trigger.body}} for {{scheduleName}}", name: "deployer" });
    const token = await rotate(s.id);

    const one = await fire(s.id, token, { key: "build-42", json: { ref: "main", n: 1 } });
    expect(one).toMatchObject({ status: 202, data: { taskId: expect.any(String), duplicate: false, forced: false } });
    const two = await fire(s.id, token, { key: "build-42", json: { ref: "other" } });
    expect(two).toMatchObject({ status: 202, data: { taskId: one.data.taskId, duplicate: true } });
    expect(await allTasks()).toHaveLength(1);

    await waitFor(() => runtime.runs.length === 1, "the hook task to start");
    expect(runtime.runs[0].input.prompt).toBe('Deploy {"ref":"main","n":1} for deployer');
    const task = await taskById(one.data.taskId);
    expect(task).toMatchObject({ sourceType: "manual", triggerKind: "hook", triggerBody: '{"ref":"main","n":1}', renderedPrompt: 'Deploy {"ref":"main","n":1} for deployer' });
    const page = await callRoute(taskRoute, `/api/tasks/${task.id}`, { params: { id: task.id } });
    expect(page.data).toMatchObject({ renderedPrompt: 'Deploy {"ref":"main","n":1} for deployer', task: { triggerKind: "hook" } });

    // Another key, or none, is another task; keys are per schedule.
    expect((await fire(s.id, token, { key: "build-43" })).data.duplicate).toBe(false);
    expect((await fire(s.id, token)).data.duplicate).toBe(false);
    expect(await allTasks()).toHaveLength(3);
    // Every held run has started before the test ends (so the harness can release them).
    await waitFor(() => runtime.runs.length === 3, "all three hook runs to start");
  });

  it("forgets a key after 24 h (a repeat then creates a new task) and the prune deletes expired keys", async () => {
    await setCap(5);
    const { clock, loop } = await startTestScheduler();
    const s = await makeSchedule();
    const token = await rotate(s.id);
    const first = await fire(s.id, token, { key: "nightly" });
    clock.advance(HOOK_IDEMPOTENCY_TTL_MS - 1);
    expect((await fire(s.id, token, { key: "nightly" })).data).toMatchObject({ taskId: first.data.taskId, duplicate: true });
    clock.advance(2);
    const later = await fire(s.id, token, { key: "nightly" });
    expect(later.data).toMatchObject({ duplicate: false });
    expect(later.data.taskId).not.toBe(first.data.taskId);

    const db = getDb();
    const keys = () => run(db, db.select().from(tablesOf(db).hookIdempotencyKeys));
    expect(await keys()).toHaveLength(1);
    clock.advance(HOOK_IDEMPOTENCY_TTL_MS + 3_600_001);
    await loop.runPass();
    // (runPass during a poked pass only asks for one more: wait for it.)
    await waitFor(async () => (await keys()).length === 0, "the prune to delete the expired key");
  });

  it("honours the cap like Run now: 429 with slotEtaSec writes neither task nor key; ?force=true bypasses", async () => {
    await setCap(1);
    const { runtime } = await startTestScheduler();
    runtime.setScript({ hold: true });
    const s = await makeSchedule();
    const token = await rotate(s.id);
    expect((await fire(s.id, token)).status).toBe(202);
    const full = await fire(s.id, token, { key: "k" });
    expect(full).toMatchObject({ status: 429, data: { error: "capacity_full", slotEtaSec: expect.any(Number) } });
    expect(await allTasks()).toHaveLength(1);
    const forced = await fire(s.id, token, { key: "k", query: "?force=true" });
    expect(forced).toMatchObject({ status: 202, data: { duplicate: false, forced: true } });
    expect((await eventsOf(s.id)).map((e) => e.kind)).toContain("manual_force_bypass");
    expect((await fire(s.id, token, { key: "k" })).data).toMatchObject({ taskId: forced.data.taskId, duplicate: true });
    await waitFor(() => runtime.runs.length === 2, "both held runs to start");
  });

  it("refuses a paused schedule (409), a body over 16 KiB (413), bad JSON and bad keys (400), before writing anything", async () => {
    await startTestScheduler();
    const paused = await makeSchedule({ status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    const pausedToken = await rotate(paused.id);
    expect(await fire(paused.id, pausedToken)).toMatchObject({ status: 409, data: { error: "schedule_not_active" } });
    const s = await makeSchedule();
    const token = await rotate(s.id);
    expect(await fire(s.id, token, { json: { blob: "x".repeat(17 * 1024) } })).toMatchObject({ status: 413, data: { error: "payload_too_large" } });
    expect(await fire(s.id, token, { body: "{nope", headers: { "content-type": "application/json" } })).toMatchObject({ status: 400, data: { fields: { body: expect.any(String) } } });
    expect(await fire(s.id, token, { body: "text", headers: { "content-type": "text/plain" } })).toMatchObject({ status: 400, data: { fields: { contentType: expect.any(String) } } });
    expect(await fire(s.id, token, { key: "has space" })).toMatchObject({ status: 400, data: { fields: { "Idempotency-Key": expect.any(String) } } });
    expect(await fire(s.id, token, { key: "k".repeat(201) })).toMatchObject({ status: 400 });
    expect(await allTasks()).toHaveLength(0);
  });

  it("two concurrent calls with one key create one task", async () => {
    await setCap(5);
    await startTestScheduler();
    const s = await makeSchedule();
    const token = await rotate(s.id);
    const results = await Promise.all([1, 2, 3, 4].map(() => fire(s.id, token, { key: "race" })));
    expect(results.every((r) => r.status === 202)).toBe(true);
    expect(new Set(results.map((r) => r.data.taskId)).size).toBe(1);
    expect(results.filter((r) => !r.data.duplicate)).toHaveLength(1);
    expect(await allTasks()).toHaveLength(1);
  });
});

describe("Run now with a prompt override", () => {
  const execute = (id: string, json?: unknown, query = "") =>
    callRoute(executeRoute, `/api/schedules/${id}/execute${query}`, { method: "POST", params: { id }, json });

  it("runs this once with the given prompt (variables filled in); the schedule keeps its prompt; no body still works", async () => {
    await setCap(3);
    const { runtime } = await startTestScheduler();
    const s = await makeSchedule({ prompt: "the usual", name: "nightly" });
    const res = await execute(s.id, { prompt: "just once for {{scheduleName}}, attempt {{attempt}}" });
    expect(res.status).toBe(202);
    await waitFor(async () => (await taskById(res.data.taskId)).status === "completed", "the override run to finish");
    expect(await taskById(res.data.taskId)).toMatchObject({ prompt: "just once for {{scheduleName}}, attempt {{attempt}}", renderedPrompt: "just once for nightly, attempt 1" });
    expect(runtime.runs[0].input.prompt).toBe("just once for nightly, attempt 1");
    const plain = await execute(s.id);
    expect(plain.status).toBe(202);
    expect((await taskById(plain.data.taskId)).prompt).toBe("the usual");
    expect((await execute(s.id, {})).status).toBe(202);
  });

  it("refuses unknown variables and empty prompts with 400 fields.prompt, and honours the cap (429, ?force)", async () => {
    await setCap(1);
    const { runtime } = await startTestScheduler();
    runtime.setScript({ hold: true });
    const s = await makeSchedule();
    expect(await execute(s.id, { prompt: "hi {{nope}}" })).toMatchObject({ status: 400, data: { error: "invalid_request", fields: { prompt: expect.stringContaining("{{nope}}") } } });
    expect(await execute(s.id, { prompt: "  " })).toMatchObject({ status: 400, data: { fields: { prompt: expect.any(String) } } });
    expect(await allTasks()).toHaveLength(0);
    expect((await execute(s.id, { prompt: "one" })).status).toBe(202);
    expect(await execute(s.id, { prompt: "two" })).toMatchObject({ status: 429, data: { error: "capacity_full", slotEtaSec: expect.any(Number) } });
    const forced = await execute(s.id, { prompt: "two {{attempt}}" }, "?force=true");
    expect(forced).toMatchObject({ status: 202, data: { forced: true } });
    expect((await taskById(forced.data.taskId)).prompt).toBe("two {{attempt}}");
    await waitFor(() => runtime.runs.length === 2, "both held runs to start");
    expect(runtime.runs[1].input.prompt).toBe("two 1");
  });
});
