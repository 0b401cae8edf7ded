/**
 * Prompt variables (issue 12 item 6): checked at save (400 fields.prompt), filled in when the
 * run starts (on the fake clock), stored on the task as renderedPrompt and shown by GET /api/tasks/:id.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { POST as createRoute } from "@/app/api/schedules/route";
import { PATCH as patchRoute } from "@/app/api/schedules/[id]/route";
import { GET as taskRoute } from "@/app/api/tasks/[id]/route";
import { LAST_RESULT_MAX_CHARS, renderPrompt, unknownPromptVariables } from "@/lib/triggers/prompt-variables";
import { makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { callRoute } from "../http";
import { setCap, startTestScheduler, stopTestSchedulers, taskById, tasksOf } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

describe("prompt variable syntax", () => {
  it("knows the six variables, with spaces allowed inside the braces; values are not re-scanned", () => {
    expect(unknownPromptVariables("{{plannedAt}} {{ date }} {{scheduleName}} {{attempt}} {{lastResult}} {{trigger.body}}")).toEqual([]);
    expect(unknownPromptVariables("{{foo}} {{ trigger.bodyx }} {{}} {{foo}}")).toEqual(["foo", "trigger.bodyx", ""]);
    expect(unknownPromptVariables("single {braces} and }} {{ are text")).toEqual([]);
    expect(renderPrompt("a {{attempt}} b {{ scheduleName }} c {{other}}", { attempt: "2", scheduleName: "{{attempt}}" })).toBe("a 2 b {{attempt}} c {{other}}");
  });

  it("refuses unknown variables at save with 400 fields.prompt (create and edit), nothing written", async () => {
    await makeRuntime({ isDefault: true });
    const bad = await callRoute(createRoute, "/api/schedules", { method: "POST", json: { name: "n", prompt: "Hello {{user}} on {{date}}", cronExpression: "0 9 * * *" } });
    expect(bad).toMatchObject({ status: 400, data: { error: "invalid_request", fields: { prompt: expect.stringMatching(/unknown variable \{\{user\}\}; known: \{\{plannedAt\}\}/) } } });
    const ok = await callRoute(createRoute, "/api/schedules", { method: "POST", json: { name: "n", prompt: "Report for {{date}}", cronExpression: "0 9 * * *" } });
    expect(ok.status).toBe(201);
    const id = ok.data.schedule.id;
    const edit = await callRoute(patchRoute, `/api/schedules/${id}`, { method: "PATCH", params: { id }, json: { prompt: "{{lastresult}}" } });
    expect(edit).toMatchObject({ status: 400, data: { fields: { prompt: expect.stringContaining("{{lastresult}}") } } });
  });
});

describe("rendering when the run starts", () => {
  it("fills plannedAt, date in the schedule's zone, name, attempt and the previous success's truncated result", async () => {
    await setCap(2);
    // 23:30 UTC on Jan 5 is already Jan 6 in Tokyo.
    const s = await makeSchedule({
      name: "digest",
      cronExpression: "30 23 * * *",
      timezone: "Asia/Tokyo",
      nextFireAt: Date.UTC(2026, 0, 5, 23, 30),
      prompt: "{{scheduleName}} for {{date}} (planned {{plannedAt}}, attempt {{attempt}}). Before: {{lastResult}}|{{trigger.body}}|",
    });
    const long = "r".repeat(LAST_RESULT_MAX_CHARS + 50);
    await makeTask({ scheduleId: s.id, status: "completed", result: "older", finishedAt: T0 - 5000, createdAt: T0 - 6000 });
    await makeTask({ scheduleId: s.id, status: "completed", result: long, finishedAt: T0 - 1000, createdAt: T0 - 2000 });
    await makeTask({ scheduleId: s.id, status: "failed", result: "failed ones don't count", finishedAt: T0 - 10, createdAt: T0 - 20 });
    const { clock, loop, runtime } = await startTestScheduler();
    clock.set(Date.UTC(2026, 0, 5, 23, 30));
    await loop.runPass();
    await waitFor(() => runtime.runs.length === 1, "the occurrence to start");
    const expected = `digest for 2026-01-06 (planned 2026-01-05T23:30:00.000Z, attempt 1). Before: ${"r".repeat(LAST_RESULT_MAX_CHARS)}…[truncated]||`;
    expect(runtime.runs[0].input.prompt).toBe(expected);
    const task = (await tasksOf(s.id)).find((t) => t.sourceType === "scheduled")!;
    await waitFor(async () => (await taskById(task.id)).status === "completed", "the run to end");
    expect((await taskById(task.id)).renderedPrompt).toBe(expected);
    const page = await callRoute(taskRoute, `/api/tasks/${task.id}`, { params: { id: task.id } });
    expect(page.data).toMatchObject({ prompt: s.prompt, renderedPrompt: expected });
  });

  it("a retry renders its own attempt number; a prompt without variables is sent as is", async () => {
    await setCap(2);
    const s = await makeSchedule({ name: "r", cronExpression: "*/5 * * * *", maxAttempts: 2, prompt: "try {{attempt}}" });
    const plain = await makeSchedule({ name: "plain", cronExpression: "*/5 * * * *", prompt: "no variables {here}" });
    const { clock, loop, runtime } = await startTestScheduler();
    runtime.setScript((input) => (input.prompt === "try 1" ? { outcome: "error", failureReason: "network" } : {}));
    clock.set(T0 + 5 * 60_000);
    await loop.runPass();
    await waitFor(async () => (await tasksOf(s.id)).some((t) => t.sourceType === "retry"), "the retry to be queued");
    const retry = (await tasksOf(s.id)).find((t) => t.sourceType === "retry")!;
    clock.set(retry.notBefore!);
    await loop.runPass();
    await waitFor(async () => (await taskById(retry.id)).status === "completed", "the retry to complete");
    expect((await taskById(retry.id)).renderedPrompt).toBe("try 2");
    expect(runtime.runs.map((r) => r.input.prompt).sort()).toEqual(["no variables {here}", "try 1", "try 2"]);
    const plainTask = (await tasksOf(plain.id))[0];
    await waitFor(async () => (await taskById(plainTask.id)).status === "completed", "the plain run to end");
    expect((await taskById(plainTask.id)).renderedPrompt).toBeNull();
    expect((await callRoute(taskRoute, `/api/tasks/${plainTask.id}`, { params: { id: plainTask.id } })).data.renderedPrompt).toBe("no variables {here}");
  });
});
