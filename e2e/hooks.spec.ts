/**
 * Triggers (issue 12 items 1, 6, 7) against `next start` in headless Chromium: a fire URL
 * token generated in the schedule sheet, two POSTs with one Idempotency-Key → one task in the
 * schedule's history, its page showing the rendered prompt ({{trigger.body}}); Run with
 * prompt…; and the fire URL on a server with AGENTCRON_TOKEN (the proxy lets only it through
 * without the app token). Screenshots at 1400 and 390 px.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeScriptedRuntime, newPage, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { useServerAndBrowser } from "./support/suite";
import { waitFor } from "./support/wait";

interface Task {
  id: string;
  status: string;
  sourceType: string;
  triggerKind: string | null;
}

describe("fire URL with an idempotency key (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser();

  const tasksOf = async (scheduleId: string): Promise<Task[]> => (await suite.server.api(`/api/schedules/${scheduleId}/tasks`)).data.tasks;

  it("generate a token in the sheet, POST twice with one key → one task in history, its page shows the rendered prompt", async () => {
    await makeScriptedRuntime(suite.server, "scripted", ["--format", "text"], { format: "text", isDefault: true });
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Deploy on push", prompt: "Deploy {{trigger.body}} as {{scheduleName}}", cronExpression: "0 3 1 1 *", timezone: "UTC" },
    });
    expect(created.status).toBe(201);
    const id = created.data.schedule.id as string;

    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByRole("button", { name: /Triggers/ }).click();
    await sheet.getByTestId("prompt-variables-help").waitFor();
    await sheet.getByTestId("hook-token-rotate").click();
    const tokenInput = sheet.getByTestId("hook-token");
    await tokenInput.waitFor();
    const token = await tokenInput.inputValue();
    expect(token).toMatch(/^achk_/);
    expect(await sheet.getByTestId("hook-curl").innerText()).toContain(`/api/hooks/${id}`);
    await sheet.getByTestId("fire-url").scrollIntoViewIfNeeded();
    await screenshot(page, "hooks-sheet-1400");
    await page.setViewportSize({ width: 390, height: 900 });
    await sheet.getByTestId("fire-url").scrollIntoViewIfNeeded();
    await screenshot(page, "hooks-sheet-390");
    await page.setViewportSize({ width: 1400, height: 1000 });

    // The schedule answers hookTokenSet, never the token.
    const shown = await suite.server.api(`/api/schedules/${id}`);
    expect(shown.data.schedule.hookTokenSet).toBe(true);
    expect(JSON.stringify(shown.data)).not.toContain(token);

    // Two POSTs with one Idempotency-Key (as a CI retry would send): one task.
    const fire = (auth: string, key: string) =>
      fetch(`${suite.server.baseURL}/api/hooks/${id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${auth}`, "idempotency-key": key, "content-type": "application/json" },
        body: JSON.stringify({ ref: "main" }),
      }).then(async (r) => ({ status: r.status, data: await r.json() }));
    const first = await fire(token, "push-1");
    const second = await fire(token, "push-1");
    expect(first).toMatchObject({ status: 202, data: { duplicate: false } });
    expect(second).toMatchObject({ status: 202, data: { taskId: first.data.taskId, duplicate: true } });
    expect(await fire("achk_wrong", "push-1")).toMatchObject({ status: 401, data: { error: "unauthorized" } });
    const done = await waitFor(() => tasksOf(id), (t) => t.length === 1 && t[0].status === "completed", 20_000, "the hook task to complete");
    expect(done[0]).toMatchObject({ id: first.data.taskId, sourceType: "manual", triggerKind: "hook" });

    // Close the sheet (saved nothing), then the history shows exactly that one task.
    await page.keyboard.press("Escape");
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    const rows = page.getByTestId("history-row");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-task-id")).toBe(first.data.taskId);

    await page.goto(`${suite.server.baseURL}/tasks/${first.data.taskId}`);
    await page.getByTestId("task-trigger").waitFor();
    expect(await page.getByTestId("task-trigger").innerText()).toBe("via fire URL");
    await page.getByTestId("prompt-toggle").click();
    expect(await page.getByTestId("rendered-prompt").innerText()).toBe('Deploy {"ref":"main"} as Deploy on push');
    expect(await page.getByTestId("prompt-template").innerText()).toBe("Deploy {{trigger.body}} as {{scheduleName}}");
    await screenshot(page, "hooks-task-1400");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "hooks-task-390");
    await page.close();
  });

  it("Run with prompt… runs once with the typed prompt; an unknown variable is refused in the dialog", async () => {
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Nightly digest", prompt: "the usual digest", cronExpression: "0 3 1 1 *", timezone: "UTC" },
    });
    const id = created.data.schedule.id as string;
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    await page.getByTestId("run-with-prompt").click();
    const dialog = page.getByTestId("run-with-prompt-dialog");
    const box = dialog.getByLabel("Prompt");
    await box.fill("only {{oops}}");
    expect(await dialog.getByRole("alert").innerText()).toContain("{{oops}}");
    expect(await dialog.getByRole("button", { name: "Run now" }).isDisabled()).toBe(true);
    await box.fill("just this once, for {{scheduleName}}");
    await screenshot(page, "hooks-run-with-prompt-1400");
    await dialog.getByRole("button", { name: "Run now" }).click();
    const [task] = await waitFor(() => tasksOf(id), (t) => t.length === 1 && t[0].status === "completed", 20_000, "the override run to complete");
    const detail = await suite.server.api(`/api/tasks/${task.id}`);
    expect(detail.data).toMatchObject({ prompt: "just this once, for {{scheduleName}}", renderedPrompt: "just this once, for Nightly digest" });
    expect((await suite.server.api(`/api/schedules/${id}`)).data.schedule.prompt).toBe("the usual digest");
    await page.setViewportSize({ width: 390, height: 900 });
    await page.getByTestId("run-with-prompt").click();
    await screenshot(page, "hooks-run-with-prompt-390");
    await page.close();
  });
});

describe("chaining on a real server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("B (depends on A) is created within 1 s of A's success, once per A run", async () => {
    await makeScriptedRuntime(server, "scripted", ["--format", "text"], { format: "text", isDefault: true });
    const mk = async (json: Record<string, unknown>) => (await server.api("/api/schedules", { method: "POST", json: { prompt: "p", cronExpression: "0 3 1 1 *", timezone: "UTC", ...json } })).data.schedule as { id: string };
    const a = await mk({ name: "A" });
    const b = await mk({ name: "B", dependsOnScheduleId: a.id });
    const gaps: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const { taskId } = (await server.api(`/api/schedules/${a.id}/execute`, { method: "POST" })).data;
      const upstream = await waitFor(() => server.api(`/api/tasks/${taskId}`), (r) => r.data.task.status === "completed", 20_000, "A to complete");
      const chained = await waitFor(() => server.api(`/api/schedules/${b.id}/tasks`), (r) => r.data.tasks.length === i, 5_000, "B to be chained");
      const mine = (chained.data.tasks as { triggeredByTaskId: string; createdAt: string }[]).filter((t) => t.triggeredByTaskId === taskId);
      expect(mine).toHaveLength(1);
      gaps.push(Date.parse(mine[0].createdAt) - Date.parse(upstream.data.task.finishedAt));
    }
    console.log(`[chain] A finished → B created: ${gaps.join(", ")} ms`);
    for (const gap of gaps) expect(gap).toBeLessThan(1000);
  });
});

describe("fire URL with AGENTCRON_TOKEN set (the proxy's only exemption)", () => {
  const APP_TOKEN = "e2e-app-token-0123456789abcdefghijklmnop";
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { AGENTCRON_TOKEN: APP_TOKEN } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("the hook token fires its schedule and opens nothing else; the app token is no hook token", async () => {
    const app = { authorization: `Bearer ${APP_TOKEN}` };
    await makeScriptedRuntime({ ...server, api: (p, init = {}) => server.api(p, { ...init, headers: { ...app, ...init.headers } }) }, "scripted", ["--format", "text"], { format: "text", isDefault: true });
    const created = await server.api("/api/schedules", { method: "POST", headers: app, json: { name: "CI", prompt: "p", cronExpression: "0 3 1 1 *" } });
    const id = created.data.schedule.id as string;
    expect((await server.api(`/api/schedules/${id}/hook-token`, { method: "POST" })).status).toBe(401);
    const token = (await server.api(`/api/schedules/${id}/hook-token`, { method: "POST", headers: app })).data.token as string;
    const raw = (method: string, path: string, auth: string) =>
      fetch(`${server.baseURL}${path}`, { method, headers: { authorization: `Bearer ${auth}` } }).then(async (r) => ({ status: r.status, data: await r.json() }));
    expect(await raw("POST", `/api/hooks/${id}`, token)).toMatchObject({ status: 202, data: { duplicate: false } });
    expect(await raw("POST", `/api/hooks/${id}`, APP_TOKEN)).toMatchObject({ status: 401, data: { error: "unauthorized" } });
    for (const [method, path] of [
      ["GET", `/api/hooks/${id}`],
      ["GET", `/api/schedules/${id}`],
      ["POST", `/api/schedules/${id}/execute`],
      ["POST", `/api/hooks/${id}/x`],
      ["GET", "/api/tasks"],
    ]) {
      expect(await raw(method, path, token), `${method} ${path}`).toMatchObject({ status: 401, data: { error: "unauthorized" } });
    }
  });
});
