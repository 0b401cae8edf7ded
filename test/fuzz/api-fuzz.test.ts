/**
 * Seeded API fuzz (security issue #9 item 6): ≥ 5,000 generated requests across every
 * route handler under src/app/api (found on disk, so a new route is fuzzed without
 * editing this file), called in process the way Next calls them, against a booted
 * Agentcron (real SQLite file, real scheduler, real child processes).
 *
 * Asserts: no response ≥ 500; every error body is `{error: string, message: string,
 * fields?: object}`; `PRAGMA integrity_check` is ok; every list endpoint still answers
 * 200 afterwards.
 *
 * Reproducible: the seed is printed; `FUZZ_SEED=<n>` replays a run (FUZZ_REQUESTS
 * changes the count). Agents never hang: the only runtimes that can run are the
 * `true` command, executables that don't exist, and model URLs where nothing listens
 * (a generated claude-agent-sdk config always carries an unknown key, so it is refused).
 */
import { randomInt } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot } from "@/lib/boot";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { executorStatus } from "@/lib/runtimes/executor-host/host";
import { createRuntime } from "@/lib/runtimes/service";
import { spawnerStatus } from "@/lib/runtimes/spawner/client";
import { getSchedulerLoop } from "@/lib/scheduler/loop";
import { makeConversation, makeSchedule, makeTask } from "../factories";
import { rowsOf } from "../support/rows";
import { CRONS, hugeString, PLAIN_WORDS, Rng, TIMEZONES, WEIRD_NUMBERS, WEIRD_STRINGS, weirdObject, weirdValue } from "./generators";

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 5_000);
/** A chat turn or runtime test answers within this (ms) or the request is abandoned (and reported). */
const STREAM_TIMEOUT_MS = 15_000;
const API_DIR = path.resolve(__dirname, "../../src/app/api");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

type Handler = (req: Request, ctx: { params: Promise<unknown> }) => Promise<Response>;
interface Route {
  /** e.g. `/api/schedules/[id]/tasks`. */
  template: string;
  handlers: Partial<Record<(typeof METHODS)[number], Handler>>;
}

/** Every route.ts under src/app/api, imported. */
async function loadRoutes(): Promise<Route[]> {
  const files = (fs.readdirSync(API_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith("route.ts")).sort();
  const routes: Route[] = [];
  for (const file of files) {
    const mod = (await import(path.join(API_DIR, file))) as Record<string, unknown>;
    const handlers: Route["handlers"] = {};
    for (const m of METHODS) if (typeof mod[m] === "function") handlers[m] = mod[m] as Handler;
    routes.push({ template: `/api/${path.dirname(file)}`.replace(/\/\.$/, ""), handlers });
  }
  return routes;
}

/** Ids that exist, refreshed as the fuzz deletes things. */
interface Pool {
  execRuntime: string;
  patchRuntime: string;
  schedules: string[];
  tasks: string[];
  conversations: string[];
}

let counter = 0;
async function seedPool(): Promise<Pool> {
  const db = getDb();
  const now = Date.now();
  const quick = { kind: "command" as const, config: { command: ["true"], promptVia: "stdin" as const, outputFormat: "text" as const } };
  const exec = await createRuntime({ name: `fuzz-exec-${++counter}`, isDefault: true, ...quick }, now, db);
  const patch = await createRuntime({ name: `fuzz-patch-${++counter}`, ...quick }, now, db);
  const schedule = await makeSchedule({ runtimeId: exec.id, cronExpression: "0 0 1 1 *", createdAt: now, updatedAt: now });
  const paused = await makeSchedule({ runtimeId: exec.id, status: "paused", pausedReason: "paused_by_user", nextFireAt: null, createdAt: now, updatedAt: now });
  const done = await makeTask({ scheduleId: schedule.id, runtimeId: exec.id, status: "completed", finishedAt: now, createdAt: now });
  const failed = await makeTask({ scheduleId: schedule.id, runtimeId: exec.id, status: "failed", failureReason: "agent_error", finishedAt: now, createdAt: now });
  const conv = await makeConversation({ runtimeId: exec.id, createdAt: now, updatedAt: now });
  return { execRuntime: exec.id, patchRuntime: patch.id, schedules: [schedule.id, paused.id], tasks: [done.id, failed.id], conversations: [conv.id] };
}

function oddId(rng: Rng): string {
  return rng.pick([...WEIRD_STRINGS, "x".repeat(10_000), "00000000-0000-4000-8000-000000000000", "1", "-1", "%2F", "..", "."]);
}

function maybe<T>(rng: Rng, p: number, make: () => T): T | undefined {
  return rng.chance(p) ? make() : undefined;
}

/** Replace, delete or add a few fields of a near-valid body. */
function mutate(rng: Rng, body: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  const n = rng.int(4);
  for (let i = 0; i < n; i++) {
    const field = rng.pick([...fields, "unknownField"]);
    const roll = rng.int(4);
    if (roll === 0) delete out[field];
    else if (roll === 1 && rng.chance(0.1)) out[field] = hugeString(rng);
    else out[field] = weirdValue(rng);
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const VALID_CRONS = ["*/5 * * * *", "0 9 * * 1-5", "0 0 1 * *", "0 0 29 2 *", "30 2 * * *"];
const VALID_ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"];
const TIMESTAMPS: readonly unknown[] = [null, ...WEIRD_NUMBERS, "2999-01-01", "+275760-09-13T00:00:00Z", "yesterday", "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59Z", "2026-13-45"];

/**
 * A schedule body: valid, then (most of the time) one field replaced by a hostile value
 * from that field's pool (near-valid cron and zones, out-of-range numbers and
 * timestamps), sometimes a few more fields by anything at all.
 */
function scheduleBody(rng: Rng, pool: Pool): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: `fuzz ${rng.int(1e6)}`,
    prompt: rng.pick(["Say ok", "🕒 unicode prompt", "x"]),
    cronExpression: rng.pick(VALID_CRONS),
    timezone: rng.pick(VALID_ZONES),
  };
  if (rng.chance(0.3)) body.runtimeId = rng.pick([pool.execRuntime, null]);
  if (rng.chance(0.2)) body.status = rng.pick(["active", "paused"]);
  const hostile: Record<string, () => unknown> = {
    cronExpression: () => rng.pick(CRONS),
    schedule: () => rng.pick(PLAIN_WORDS),
    timezone: () => rng.pick(TIMEZONES),
    runtimeId: () => rng.pick([pool.execRuntime, null, oddId(rng)]),
    maxTurns: () => rng.pick([null, ...WEIRD_NUMBERS]),
    maxRunDurationSec: () => rng.pick([null, ...WEIRD_NUMBERS]),
    maxAttempts: () => rng.pick(WEIRD_NUMBERS),
    overlapPolicy: () => rng.pick(["skip", "buffer_one", "buffer_all", "cancel_other", "allow_all", "sometimes"]),
    catchUpPolicy: () => rng.pick(["latest", "all", "skip", "never"]),
    catchUpWindowSec: () => rng.pick(WEIRD_NUMBERS),
    maxFirings: () => rng.pick([null, ...WEIRD_NUMBERS]),
    expiresAt: () => rng.pick(TIMESTAMPS),
    status: () => rng.pick(["active", "paused", "completed", "expired"]),
    name: () => rng.pick(WEIRD_STRINGS),
    prompt: () => rng.pick([...WEIRD_STRINGS, hugeString(rng)]),
  };
  const fields = Object.keys(hostile);
  const n = rng.chance(0.15) ? 0 : 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  for (let i = 0; i < n; i++) {
    const field = rng.pick(fields);
    if (field === "schedule") delete body.cronExpression;
    body[field] = hostile[field]();
  }
  return rng.chance(0.15) ? mutate(rng, body, fields) : body;
}

/** A runtime config that is refused or can only run something that ends at once. */
function runtimeConfig(rng: Rng, kind: unknown): unknown {
  if (rng.chance(0.1)) return weirdValue(rng);
  if (kind === "openai-compatible") {
    return mutate(rng, {
      baseUrl: rng.pick(["http://127.0.0.1:1/v1", "ftp://127.0.0.1/", "not a url", "http://127.0.0.1:1/v1?key=sk-ant-api03-AbCdEfGhIjKlMnOpQrSt"]),
      model: rng.pick(["m", "", "🕒"]),
      apiKeyEnv: maybe(rng, 0.5, () => rng.pick(["OPENAI_API_KEY", "AGENTCRON_TOKEN", "HOME", "DATABASE_URL", "bad name", "X_KEY"])),
      allowShell: maybe(rng, 0.3, () => rng.pick<unknown>([true, false, "yes", 1])),
      cwd: maybe(rng, 0.2, () => rng.pick(["/tmp", "/nonexistent", "\u0000"])),
    }, ["model", "apiKeyEnv", "allowShell", "cwd"]); // baseUrl never mutated to a reachable host
  }
  if (kind === "claude-agent-sdk") {
    // Always an unknown key: a valid config would start the real `claude` binary.
    return { bogus: 1, ...weirdObject(rng), model: rng.pick(["claude-sonnet-4-5", "", 5]), apiKeyEnv: maybe(rng, 0.5, () => rng.pick(["ANTHROPIC_API_KEY", "AGENTCRON_TOKEN"])) };
  }
  const safeExecutables = ["true", "/nonexistent/agent", "", "🕒", "\u0000", "x".repeat(300)];
  return mutate(rng, {
    command: rng.pick<unknown>([["true"], [rng.pick(safeExecutables)], [], [rng.pick(safeExecutables), "{prompt}"], "true", Array.from({ length: 201 }, () => "a")]),
    promptVia: maybe(rng, 0.3, () => rng.pick(["stdin", "arg", "file"])),
    outputFormat: maybe(rng, 0.3, () => rng.pick(["text", "claude-stream-json", "codex-json", "xml"])),
    env: maybe(rng, 0.4, () => ({ [rng.pick(["A", "OPENAI_API_KEY", "ANTHROPIC_AUTH", "bad name", "\u0000", "T"])]: rng.pick([...WEIRD_STRINGS, "${HOME}", "${AGENTCRON_DATA_DIR}"]) })),
    cwd: maybe(rng, 0.2, () => rng.pick(["/tmp", "/nonexistent", "\u0000", ""])),
    resumeCommand: maybe(rng, 0.1, () => rng.pick<unknown>([["true", "{sessionId}"], ["true"], []])),
  }, ["promptVia", "outputFormat", "env", "cwd", "resumeCommand"]); // the argv itself is only ever a safe one
}

function runtimeBody(rng: Rng): Record<string, unknown> {
  const kind = rng.pick<unknown>(["command", "command", "openai-compatible", "claude-agent-sdk", "shell", 5, null]);
  const body: Record<string, unknown> = {
    name: rng.chance(0.8) ? `fuzz-rt-${rng.int(1e6)}` : weirdValue(rng),
    kind,
    config: runtimeConfig(rng, kind),
    isDefault: maybe(rng, 0.2, () => rng.pick<unknown>([true, false, "yes"])),
  };
  if (rng.chance(0.3)) body[rng.pick(["apiKey", "extra", "🕒"])] = weirdValue(rng);
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function bodyFor(rng: Rng, template: string, method: string, pool: Pool): unknown {
  if (template === "/api/schedules" || (template === "/api/schedules/[id]" && method === "PATCH")) return scheduleBody(rng, pool);
  if (template === "/api/runtimes" || (template === "/api/runtimes/[id]" && method === "PATCH")) {
    const body = runtimeBody(rng);
    // A PATCH without a config keeps the stored (safe) one.
    if (method === "PATCH" && rng.chance(0.5)) delete body.config;
    return body;
  }
  if (template === "/api/runtimes/[id]/test") return mutate(rng, { prompt: "ping" }, ["prompt"]);
  if (template === "/api/chat/conversations") return mutate(rng, { title: "fuzz chat", runtimeId: rng.pick([pool.execRuntime, null, oddId(rng)]) }, ["title", "runtimeId"]);
  if (template.endsWith("/messages")) return mutate(rng, { content: rng.pick(["hello", "🕒", "x"]) }, ["content"]);
  if (template === "/api/settings") {
    return mutate(rng, { maxConcurrent: rng.pick([1, 2, 3, ...WEIRD_NUMBERS]) }, ["maxConcurrent", "maxRunDurationSec", "chatPressureDelaySec"]);
  }
  return rng.chance(0.5) ? weirdObject(rng) : undefined;
}

const QUERY_KEYS = ["limit", "before", "after", "status", "scheduleId", "force", "since", "count", "cronExpression", "schedule", "timezone", "runtimeId", "excludeScheduleId"];

function queryFor(rng: Rng, pool: Pool): string {
  if (rng.chance(0.3)) return "";
  const parts: string[] = [];
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.9) ? rng.pick(QUERY_KEYS) : rng.pick(WEIRD_STRINGS);
    const value = rng.pick<unknown>([
      ...WEIRD_STRINGS,
      ...WEIRD_NUMBERS.map(String),
      ...CRONS,
      ...PLAIN_WORDS,
      ...TIMEZONES,
      "true",
      "false",
      "queued",
      "completed",
      "2026-01-01T00:00:00Z",
      "0001-01-01T00:00:00Z",
      pool.schedules[0],
      pool.execRuntime,
    ]) as string;
    const raw = rng.chance(0.1);
    parts.push(`${encode(key, raw)}=${encode(value, raw)}`);
  }
  return `?${parts.join("&")}`;
}

function encode(s: string, raw: boolean): string {
  if (raw) return s.replace(/[#\s]/g, "");
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80"; // a lone surrogate, as a client would send its bytes
  }
}

function paramsFor(rng: Rng, template: string, method: string, pool: Pool): Record<string, unknown> {
  if (template.includes("[...slug]")) return { slug: Array.from({ length: 1 + rng.int(3) }, () => oddId(rng)) };
  if (!template.includes("[id]")) return {};
  if (rng.chance(0.25)) return { id: oddId(rng) };
  let id: string;
  if (template.startsWith("/api/schedules")) id = rng.pick(pool.schedules);
  else if (template.startsWith("/api/tasks")) id = rng.pick(pool.tasks);
  else if (template.startsWith("/api/chat")) id = rng.pick(pool.conversations);
  else if (template === "/api/runtimes/[id]/test") id = pool.execRuntime;
  else id = method === "GET" ? rng.pick([pool.execRuntime, pool.patchRuntime]) : pool.patchRuntime;
  return { id };
}

interface Outcome {
  status: number;
  body: unknown;
  contentType: string;
}

async function send(handler: Handler, url: string, init: { method: string; headers: Record<string, string>; body?: string }, params: unknown): Promise<Outcome> {
  const controller = new AbortController();
  const req = new Request(`http://127.0.0.1:3000${url}`, { ...init, headers: { host: "127.0.0.1:3000", ...init.headers }, signal: controller.signal });
  const res = await handler(req, { params: Promise.resolve(params) });
  const contentType = res.headers.get("content-type") ?? "";
  if (contentType.includes("text/event-stream")) {
    // A live stream: a chat turn on the `true` runtime ends by itself; a task event
    // stream follows the task, so it is closed after a moment like a client would.
    const timer = setTimeout(() => controller.abort(), init.method === "POST" ? STREAM_TIMEOUT_MS : 50);
    try {
      await res.text();
    } catch {
      // aborted by the timer
    } finally {
      clearTimeout(timer);
    }
    return { status: res.status, body: null, contentType };
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: checked below for error statuses
  }
  return { status: res.status, body, contentType };
}

function errorShapeProblem(o: Outcome): string | null {
  if (o.status < 400) return null;
  const b = o.body as Record<string, unknown> | null;
  if (!b || typeof b !== "object") return `status ${o.status} with a non-JSON body ${JSON.stringify(o.body)?.slice(0, 200)}`;
  if (typeof b.error !== "string" || !b.error) return `status ${o.status} without a string \`error\``;
  if (typeof b.message !== "string" || !b.message) return `status ${o.status} without a string \`message\``;
  if (b.fields !== undefined && (typeof b.fields !== "object" || b.fields === null || Array.isArray(b.fields))) return `status ${o.status} with non-object \`fields\``;
  return null;
}

describe(`API fuzz (seed ${SEED}; FUZZ_SEED=${SEED} reproduces)`, () => {
  let routes: Route[];
  beforeAll(async () => {
    console.log(`[fuzz] seed ${SEED}, ${REQUESTS} requests (replay: FUZZ_SEED=${SEED})`);
    await boot();
    routes = await loadRoutes();
  });
  afterAll(async () => {
    await getSchedulerLoop()?.stop();
  });

  it(`answers ${REQUESTS} generated requests with no 5xx, every error in the shape`, { timeout: 240_000 }, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const rng = new Rng(SEED);
    let pool = await seedPool();
    const failures: string[] = [];
    const hits = new Map<string, number>();
    const statuses = new Map<number, number>();
    const slow = new Map<string, number>();
    const targets = routes.flatMap((r) => Object.entries(r.handlers).map(([method, handler]) => ({ template: r.template, method, handler: handler! })));

    for (let i = 0; i < REQUESTS; i++) {
      if (i > 0 && i % 250 === 0) pool = await seedPool();
      const { template, method, handler } = rng.pick(targets);
      const params = paramsFor(rng, template, method, pool);
      const pathPart = Object.entries(params).reduce(
        (p, [k, v]) => p.replace(k === "slug" ? "[...slug]" : `[${k}]`, Array.isArray(v) ? v.map((s) => encode(String(s), false)).join("/") : encode(String(v), false)),
        template,
      );
      const url = `${pathPart}${queryFor(rng, pool)}`;
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (method !== "GET") {
        const shape = rng.int(100);
        const value = bodyFor(rng, template, method, pool);
        if (shape < 78) body = value === undefined ? undefined : JSON.stringify(value);
        else if (shape < 84) body = rng.pick(["{", "[", "nul", '{"a":', "{'a':1}", "\u0000", '{"name": "x",}', "{}".repeat(1000), "[".repeat(5000)]);
        else if (shape < 90) body = JSON.stringify(rng.pick<unknown>([[], [1, 2], "str", 42, null, true, { nested: "[".repeat(100) }]));
        else if (shape < 94) body = JSON.stringify({ ...((value as object) ?? {}), junk: hugeString(rng) });
        else body = undefined;
        if (body !== undefined || rng.chance(0.3)) {
          headers["content-type"] = rng.chance(0.9) ? rng.pick(["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]) : rng.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/jsonx", ""]);
        }
      }
      if (rng.chance(0.05)) headers.accept = "text/event-stream";
      if (rng.chance(0.05)) headers["last-event-id"] = rng.pick(["-1", "1e300", "abc", "\u00e9", "9007199254740993"]);
      const label = `#${i} ${method} ${url.slice(0, 200)} body=${(body ?? "").slice(0, 200)}`;
      hits.set(`${method} ${template}`, (hits.get(`${method} ${template}`) ?? 0) + 1);
      let outcome: Outcome;
      const started = performance.now();
      try {
        outcome = await send(handler, url, { method, headers, body }, params);
      } catch (err) {
        failures.push(`${label} → threw ${(err as Error).message}`);
        continue;
      } finally {
        slow.set(`${method} ${template}`, (slow.get(`${method} ${template}`) ?? 0) + performance.now() - started);
      }
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      if (outcome.status >= 500) failures.push(`${label} → ${outcome.status} ${JSON.stringify(outcome.body).slice(0, 300)}`);
      const shape = errorShapeProblem(outcome);
      if (shape) failures.push(`${label} → ${shape}`);
    }

    const totalMs = [...slow.values()].reduce((a, b) => a + b, 0);
    console.log(`[fuzz] time in handlers ${Math.round(totalMs)}ms`);
    const byStatus = [...statuses].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}×${v}`).join(" ");
    const slowest = [...slow].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${Math.round(v)}ms`).join(", ");
    console.log(`[fuzz] seed ${SEED}: ${REQUESTS} requests over ${hits.size} route methods; statuses ${byStatus}; slowest ${slowest}`);
    // Every route method was reached.
    expect(targets.filter((t) => !hits.has(`${t.method} ${t.template}`)).map((t) => `${t.method} ${t.template}`)).toEqual([]);
    expect(failures.slice(0, 20), `seed ${SEED}: ${failures.length} failures`).toEqual([]);
    // No request ends a spawner process, the executor host's (runs) or this thread's (runtime
    // tests): a prompt with a lone surrogate once killed the posix spawner and the agent it was
    // running, while every answer was still a 2xx/4xx (CI, 2026-12-04).
    expect(executorStatus().spawner, `seed ${SEED}`).toMatchObject({ mode: "process", deaths: 0, lastDeath: null });
    expect(spawnerStatus(), `seed ${SEED}`).toMatchObject({ deaths: 0, lastDeath: null });
  });

  it("leaves a sound database and every list endpoint answering 200", async () => {
    const db = getDb();
    // SQLite checks its own file; PostgreSQL has no such check (the server enforced every
    // constraint on each write): on both, the maintained counters must still equal a recount.
    if (db.$dialect === "sqlite") expect(db.$client.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
    const recount = new Map<string, number>();
    for (const t of await rowsOf("tasks")) recount.set(t.status, (recount.get(t.status) ?? 0) + 1);
    const stored = (await run(db, db.select().from(tablesOf(db).taskStatusCounts))).filter((r) => r.n !== 0);
    expect(new Map(stored.map((r) => [r.status, r.n]))).toEqual(recount);
    const lists = [
      "/api/schedules",
      "/api/tasks",
      "/api/runtimes",
      "/api/chat/conversations",
      "/api/settings",
      "/api/scheduler/status",
      "/api/metrics",
      "/api/health",
    ];
    for (const template of lists) {
      const route = routes.find((r) => r.template === template)!;
      const outcome = await send(route.handlers.GET!, template, { method: "GET", headers: {} }, {});
      expect(outcome.status, `${template} after the fuzz (seed ${SEED})`).toBe(200);
    }
    // And every stored schedule and task still reads on its own.
    const schedules = routes.find((r) => r.template === "/api/schedules/[id]")!;
    const ids = (await rowsOf("schedules")).map((r) => r.id);
    for (const id of ids) expect((await send(schedules.handlers.GET!, `/api/schedules/${id}`, { method: "GET", headers: {} }, { id })).status).toBe(200);
  });
});
