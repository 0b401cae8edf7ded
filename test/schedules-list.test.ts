import { beforeEach, describe, expect, it } from "vitest";
import { GET as list, POST as create } from "@/app/api/schedules/route";
import { callRoute } from "./http";
import { makeRuntime, makeTask, T0, truncateAll } from "./factories";

const valid = { name: "Nightly triage", prompt: "Triage new issues", cronExpression: "0 9 * * 1-5", timezone: "Europe/Paris" };

describe("GET /api/schedules lastRun", () => {
  beforeEach(async () => {
    await truncateAll();
    await makeRuntime({ isDefault: true }); // an active schedule needs a runnable runtime
  });

  it("is null before any run, and counts a manual run (not only scheduled firings), ignoring skipped occurrences", async () => {
    const a = (await callRoute(create, "/api/schedules", { method: "POST", json: valid })).data.schedule.id;
    const b = (await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, name: "Other" } })).data.schedule.id;
    const first = await callRoute(list, "/api/schedules");
    expect(first.data.schedules.map((s: { lastRun: unknown }) => s.lastRun)).toEqual([null, null]);

    // A manual run that finished, then a newer skipped occurrence: the manual run is the last run.
    const manual = await makeTask({ scheduleId: a, sourceType: "manual", status: "completed", createdAt: T0, startedAt: T0 + 10, finishedAt: T0 + 5000 });
    await makeTask({ scheduleId: a, sourceType: "scheduled", status: "skipped", skippedReason: "overlap", createdAt: T0 + 60_000 });
    // Schedule b: an older failure and a newer running retry.
    await makeTask({ scheduleId: b, sourceType: "scheduled", status: "failed", createdAt: T0 });
    const retry = await makeTask({ scheduleId: b, sourceType: "retry", status: "running", createdAt: T0 + 1000, startedAt: T0 + 1000 });

    const { status, data } = await callRoute(list, "/api/schedules");
    expect(status).toBe(200);
    const byId = new Map(data.schedules.map((s: { id: string; lastRun: unknown }) => [s.id, s.lastRun]));
    expect(byId.get(a)).toEqual({
      taskId: manual.id,
      status: "completed",
      sourceType: "manual",
      startedAt: new Date(T0 + 10).toISOString(),
      finishedAt: new Date(T0 + 5000).toISOString(),
    });
    expect(byId.get(b)).toMatchObject({ taskId: retry.id, status: "running", sourceType: "retry", finishedAt: null });
  });

  it("names what it did not understand in a plain-words error", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, cronExpression: undefined, schedule: "every blue moon" } });
    expect(res.status).toBe(400);
    expect(res.data.fields.schedule).toMatch(/^"every blue moon" is not understood: use plain words/);
  });

  it("names the cron field at fault, once", async () => {
    const res = await callRoute(create, "/api/schedules", { method: "POST", json: { ...valid, cronExpression: "61 * * * *" } });
    expect(res.status).toBe(400);
    expect(res.data.fields.cronExpression).toBe("Minute: 61 is outside 0–59");
  });
});
