import { beforeEach, describe, expect, it } from "vitest";
import { GET as list, POST as create } from "@/app/api/schedules/route";
import { DELETE as remove, GET as getOne, PATCH as patch } from "@/app/api/schedules/[id]/route";
import { GET as preview } from "@/app/api/schedules/preview/route";
import { GET as unknownRoute, POST as unknownPost } from "@/app/api/[[...slug]]/route";
import { getDb } from "@/lib/db/client";
import { run, tablesOf } from "@/lib/db/sql";
import { callRoute } from "./http";
import { makeRuntime, makeTask, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";

const valid = { name: "Nightly triage", prompt: "Triage new issues", cronExpression: "0 9 * * 1-5", timezone: "Europe/Paris" };
const scheduleCount = async () => (await rowsOf("schedules")).length;
const onlySchedule = async () => (await rowsOf("schedules"))[0];
/** Overwrites columns of every stored schedule (the tests here store one). */
async function setSchedules(values: Partial<Awaited<ReturnType<typeof onlySchedule>>>): Promise<void> {
  const db = getDb();
  await run(db, db.update(tablesOf(db).schedules).set(values));
}

describe("schedules API", () => {
  // An active schedule needs a runnable runtime: the default one (echo) unless a test says otherwise.
  beforeEach(async () => {
    await truncateAll();
    await makeRuntime({ isDefault: true });
  });

  it("creates a schedule with defaults, nextFireAt and an audit event", async () => {
    const before = Date.now();
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    expect(res.status).toBe(201);
    const s = res.data.schedule;
    expect(s).toMatchObject({
      name: "Nightly triage",
      cronExpression: "0 9 * * 1-5",
      timezone: "Europe/Paris",
      status: "active",
      maxTurns: null,
      maxAttempts: 3,
      overlapPolicy: "skip",
      catchUpPolicy: "latest",
      firingCount: 0,
      failureStreak: 0,
      turnBudgetBreachStreak: 0,
    });
    expect(res.data.warnings).toEqual([]);
    expect(Date.parse(s.nextFireAt)).toBeGreaterThan(before);
    // 09:00 Paris is 07:00 or 08:00 UTC
    expect(new Date(s.nextFireAt).getUTCMinutes()).toBe(0);
    expect([7, 8]).toContain(new Date(s.nextFireAt).getUTCHours());
    expect((await rowsOf("events")).map((e) => e.kind)).toEqual(["schedule_created"]);
  });

  it("translates plain words", async () => {
    const res = await callRoute(create, "/api/schedules", {
      method: "POST",
      json: { name: "q", prompt: "p", schedule: "every 15 minutes" },
    });
    expect(res.status).toBe(201);
    expect(res.data.schedule.cronExpression).toBe("*/15 * * * *");
    expect(res.data.schedule.timezone).toBe("UTC");
  });

  it("lists, reads, updates and deletes", async () => {
    const { data } = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    const id = data.schedule.id;
    expect((await callRoute(list, "/api/schedules")).data.schedules.map((s: { id: string }) => s.id)).toEqual([id]);
    expect((await callRoute(getOne, `/api/schedules/${id}`, { params: { id } })).data.schedule.id).toBe(id);

    const upd = await callRoute(patch, `/api/schedules/${id}`, {
      method: "PATCH",
      params: { id },
      json: { maxTurns: 40, overlapPolicy: "buffer_one", cronExpression: "*/10 * * * *", timezone: "UTC" },
    });
    expect(upd.status).toBe(200);
    expect(upd.data.schedule).toMatchObject({ maxTurns: 40, overlapPolicy: "buffer_one", cronExpression: "*/10 * * * *", timezone: "UTC" });
    expect(upd.data.schedule.maxTurnsSetAt).not.toBeNull();
    expect(new Date(upd.data.schedule.nextFireAt).getUTCMinutes() % 10).toBe(0);

    const paused = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "paused" } });
    expect(paused.data.schedule).toMatchObject({ status: "paused", pausedReason: "paused_by_user", nextFireAt: null });
    const resumed = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active" } });
    expect(resumed.data.schedule.status).toBe("active");
    expect(resumed.data.schedule.pausedReason).toBeNull();
    expect(resumed.data.schedule.nextFireAt).not.toBeNull();

    await makeTask({ scheduleId: id, status: "completed", sourceType: "scheduled", plannedAt: 1 });
    const del = await callRoute(remove, `/api/schedules/${id}`, { method: "DELETE", params: { id } });
    expect(del.status).toBe(204);
    expect((await callRoute(getOne, `/api/schedules/${id}`, { params: { id } })).status).toBe(404);
    // history stays
    expect(await rowsOf("tasks")).toHaveLength(1);
  });

  it("resuming clears the failure streaks", async () => {
    const { data } = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    const id = data.schedule.id;
    await setSchedules({ status: "paused", pausedReason: "failure_streak", failureStreak: 3, turnBudgetBreachStreak: 2 });
    const res = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active" } });
    expect(res.data.schedule).toMatchObject({ status: "active", failureStreak: 0, turnBudgetBreachStreak: 0, pausedReason: null });
  });

  it("resuming a schedule auto-paused for invalid_cron → 400 naming cronExpression, unchanged; resuming with a fixed cron works", async () => {
    const { data } = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    const id = data.schedule.id;
    await setSchedules({ cronExpression: "61 * * * *", status: "paused", pausedReason: "invalid_cron", nextFireAt: null });
    const before = await onlySchedule();
    const res = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active" } });
    expect(res.status).toBe(400);
    expect(res.data).toMatchObject({ error: "invalid_request", fields: { cronExpression: expect.any(String) } });
    expect(await onlySchedule()).toEqual(before);
    const fixed = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active", cronExpression: "*/10 * * * *" } });
    expect(fixed.status).toBe(200);
    expect(fixed.data.schedule).toMatchObject({ status: "active", pausedReason: null, cronExpression: "*/10 * * * *" });
  });

  it("accepts a known runtime and rejects an unknown one", async () => {
    const rt = await makeRuntime();
    expect((await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, runtimeId: rt.id } })).status).toBe(201);
    const bad = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, runtimeId: "nope" } });
    expect(bad.status).toBe(400);
    expect(bad.data.fields.runtimeId).toMatch(/unknown runtime/);
  });

  it("refuses to save a schedule active without a runnable runtime (400 fields.runtimeId); paused is fine; nothing written", async () => {
    await truncateAll();
    const none = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    expect(none.status).toBe(400);
    expect(none.data).toMatchObject({ error: "invalid_request", fields: { runtimeId: expect.stringMatching(/no runtime/) } });
    expect(await scheduleCount()).toBe(0);
    const paused = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, status: "paused" } });
    expect(paused.status).toBe(201);

    // A command runtime whose executable vanished after it was saved is not runnable.
    const gone = await makeRuntime({ isDefault: true, config: { command: ["/no/such/agent-cli"], promptVia: "stdin", outputFormat: "text" } });
    const viaDefault = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    expect(viaDefault.status).toBe(400);
    expect(viaDefault.data.fields.runtimeId).toMatch(/not runnable.*\/no\/such\/agent-cli/);
    const named = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, runtimeId: gone.id } });
    expect(named.status).toBe(400);
    expect(await scheduleCount()).toBe(1);

    // Resuming the paused one, or pointing it at the broken runtime while active, is refused the same way.
    const id = paused.data.schedule.id;
    const resume = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active" } });
    expect(resume).toMatchObject({ status: 400, data: { fields: { runtimeId: expect.stringMatching(/not runnable/) } } });
    expect((await callRoute(getOne, `/api/schedules/${id}`, { params: { id } })).data.schedule.status).toBe("paused");
    const ok = await makeRuntime({ config: { command: ["sh", "-c", "cat"], promptVia: "stdin", outputFormat: "text" } });
    const fixed = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { status: "active", runtimeId: ok.id } });
    expect(fixed.status).toBe(200);
    expect(fixed.data.schedule).toMatchObject({ status: "active", runtimeId: ok.id });
  });

  it.each([
    ["invalid cron", { cronExpression: "61 * * * *" }, "cronExpression"],
    ["too few cron fields", { cronExpression: "* * *" }, "cronExpression"],
    ["unknown timezone", { timezone: "Mars/Olympus" }, "timezone"],
    ["empty name", { name: "   " }, "name"],
    ["missing name", { name: undefined }, "name"],
    ["prompt over 100k chars", { prompt: "x".repeat(100_001) }, "prompt"],
    ["empty prompt", { prompt: "" }, "prompt"],
    ["maxTurns 0", { maxTurns: 0 }, "maxTurns"],
    ["maxTurns 10001", { maxTurns: 10_001 }, "maxTurns"],
    ["maxTurns not an integer", { maxTurns: 2.5 }, "maxTurns"],
    ["unknown overlap policy", { overlapPolicy: "sometimes" }, "overlapPolicy"],
    ["unknown catch-up policy", { catchUpPolicy: "never" }, "catchUpPolicy"],
    ["bad plain words", { cronExpression: undefined, schedule: "whenever you like" }, "schedule"],
    ["neither cron nor plain words", { cronExpression: undefined }, "cronExpression"],
    ["bad expiresAt", { expiresAt: "not a date" }, "expiresAt"],
    ["bad status", { status: "completed" }, "status"],
  ])("POST rejects %s with 400 naming the field, writing nothing", async (_label, override, field) => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, ...override } });
    expect(res.status).toBe(400);
    expect(res.data.error).toBe("invalid_request");
    expect(res.data.message).toEqual(expect.any(String));
    expect(res.data.fields).toHaveProperty(field);
    expect(await scheduleCount()).toBe(0);
    expect(await rowsOf("events")).toHaveLength(0);
  });

  it("rejects malformed JSON, a non-object body and a wrong content type", async () => {
    const malformed = await callRoute(create, "/api/schedules", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(malformed.data.fields.body).toMatch(/JSON/);
    const array = await callRoute(create, "/api/schedules", { method: "POST", json: [1, 2] });
    expect(array.status).toBe(400);
    const form = await callRoute(create, "/api/schedules", { method: "POST", body: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(400);
    expect(form.data.fields.contentType).toMatch(/application\/json/);
    expect(await scheduleCount()).toBe(0);
  });

  it("PATCH rejects bad input and leaves the row unchanged", async () => {
    const { data } = await callRoute(create, "/api/schedules", { method: "POST", json: valid });
    const id = data.schedule.id;
    const before = await onlySchedule();
    for (const body of [{ cronExpression: "nope" }, { maxTurns: 0 }, { timezone: "Nowhere/City" }, { name: "" }, { overlapPolicy: "x" }]) {
      const res = await callRoute(patch, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: body });
      expect(res.status).toBe(400);
      expect(res.data.error).toBe("invalid_request");
    }
    expect(await onlySchedule()).toEqual(before);
  });

  it("answers 404 schedule_not_found for unknown ids", async () => {
    for (const [handler, method] of [
      [getOne, "GET"],
      [patch, "PATCH"],
      [remove, "DELETE"],
    ] as const) {
      const res = await callRoute(handler, "/api/schedules/missing", { method, params: { id: "missing" }, json: method === "PATCH" ? { name: "x" } : undefined });
      expect(res.status).toBe(404);
      expect(res.data.error).toBe("schedule_not_found");
    }
  });

  it("refuses state-changing requests from another origin with 403 cross_origin", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: valid, headers: { origin: "http://evil.example" } });
    expect(res.status).toBe(403);
    expect(res.data.error).toBe("cross_origin");
    const same = await callRoute(create, "/api/schedules", { method: "POST", json: valid, headers: { origin: "http://127.0.0.1:3000" } });
    expect(same.status).toBe(201);
    // reads stay open
    expect((await callRoute(list, "/api/schedules", { headers: { origin: "http://evil.example" } })).status).toBe(200);
  });

  it("previews cron and plain words with the next fire times in the timezone", async () => {
    const res = await callRoute(preview, "/api/schedules/preview?schedule=weekdays%20at%209:00&timezone=America/New_York&count=3");
    expect(res.status).toBe(200);
    expect(res.data.cronExpression).toBe("0 9 * * 1-5");
    expect(res.data.description).toMatch(/Monday through Friday/);
    expect(res.data.next).toHaveLength(3);
    for (const iso of res.data.next) {
      const local = new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "numeric", hour12: false, weekday: "short" }).format(new Date(iso));
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri),? 0?9$/);
    }
    const bad = await callRoute(preview, "/api/schedules/preview?cronExpression=99%20*%20*%20*%20*");
    expect(bad.status).toBe(400);
    expect(bad.data.fields).toHaveProperty("cronExpression");
    const badCount = await callRoute(preview, "/api/schedules/preview?cronExpression=*%20*%20*%20*%20*&count=500");
    expect(badCount.status).toBe(400);
    expect(badCount.data.fields).toHaveProperty("count");
  });

  it("answers unknown API routes with 404 JSON", async () => {
    const res = await callRoute(unknownRoute, "/api/nope");
    expect(res.status).toBe(404);
    expect(res.data.error).toBe("not_found");
    expect((await callRoute(unknownPost, "/api/nope", { method: "POST" })).status).toBe(404);
  });
});
