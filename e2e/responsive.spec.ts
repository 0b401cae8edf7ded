import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentWidth, overflowingElements, seriousA11yViolations } from "./support/a11y";
import { launchChromium } from "./support/chromium";
import { makeScriptedRuntime, newPage, pageErrorsOf, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/wait";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1400, height: 1000 };
const LONG_PROMPT = "Check the repository for new issues, triage them by area, and write a short summary.\n".repeat(4);

/**
 * Every page at 390×844 and 1400×1000 with data present: no sideways scroll at 390 px,
 * headings clear of buttons, no serious/critical axe violation (pages, the mobile menu,
 * the schedule sheet, dialogs), focus back on the trigger after a sheet/dialog closes,
 * no console error or static 404 (favicon). Plus the detail/list features of issue 13
 * item 6 as a user sees them.
 */
describe("responsive layout, accessibility and the detail pages (production server, headless Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let scheduleId: string;
  let completedTaskId: string;
  let failedTaskId: string;
  let conversationId: string;
  const pages: { name: string; path: () => string; ready: (p: Page) => Promise<unknown> }[] = [
    { name: "dashboard", path: () => "/", ready: (p) => p.getByTestId("durations-chart").waitFor() },
    { name: "schedules", path: () => "/schedules", ready: (p) => p.getByTestId("schedule-row").first().waitFor() },
    { name: "schedule-detail", path: () => `/schedules/${scheduleId}`, ready: (p) => p.getByTestId("history-row").first().waitFor() },
    { name: "tasks", path: () => "/tasks", ready: (p) => p.getByTestId("task-row").first().waitFor() },
    { name: "task-detail", path: () => `/tasks/${completedTaskId}`, ready: (p) => p.getByTestId("stream-state").filter({ hasText: "ended" }).waitFor() },
    { name: "task-failed", path: () => `/tasks/${failedTaskId}`, ready: (p) => p.getByTestId("task-failure").waitFor() },
    { name: "chat", path: () => "/chat", ready: (p) => p.getByTestId("conversation-item").first().waitFor() },
    { name: "settings", path: () => "/settings", ready: (p) => p.getByTestId("runtime-row").first().waitFor() },
  ];

  beforeAll(async () => {
    server = await startServer({ env: { SCHEDULE_MAX_CONCURRENT: "1" } });
    browser = await launchChromium();
    const agent = await makeScriptedRuntime(server, "scripted agent", ["--turns", "3"], { isDefault: true });
    const crasher = await makeScriptedRuntime(server, "crashing agent", ["--crash"]);
    const mk = async (json: Record<string, unknown>) => {
      const res = await server.api("/api/schedules", { method: "POST", json: { cronExpression: "0 3 1 1 *", ...json } });
      expect(res.status).toBe(201);
      return res.data.schedule.id as string;
    };
    scheduleId = await mk({ name: "Daily repository check-in with a long name that must wrap", prompt: LONG_PROMPT, timezone: "Asia/Kolkata", runtimeId: agent.id, maxTurns: 10 });
    const failing = await mk({ name: "Nightly test-failure triage", prompt: "Triage failures", runtimeId: crasher.id });
    await mk({ name: "Weekly changelog draft", prompt: "Draft the changelog", status: "paused" });

    const run = async (id: string, status: string) => {
      const res = await server.api(`/api/schedules/${id}/execute`, { method: "POST" });
      expect(res.status).toBe(202);
      await waitFor(() => server.api(`/api/tasks/${res.data.taskId}`), (r) => r.data.task.status === status, 30_000, `run ${status}`);
      return res.data.taskId as string;
    };
    completedTaskId = await run(scheduleId, "completed");
    failedTaskId = await run(failing, "failed");

    // A chat with one exchange.
    conversationId = (await server.api("/api/chat/conversations", { method: "POST", json: { runtimeId: agent.id } })).data.conversation.id;
    const reply = await fetch(`${server.baseURL}/api/chat/conversations/${conversationId}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.baseURL },
      body: JSON.stringify({ content: "What changed in the repository since yesterday?" }),
    });
    expect(reply.status).toBe(200);
    await reply.text();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Fails when the page's h1 overlaps a visible button (a heading covering "New schedule"). */
  async function expectHeadingClearOfButtons(page: Page, label: string) {
    const overlaps = await page.evaluate(() => {
      const h = document.querySelector("main h1");
      if (!h) return [];
      const a = h.getBoundingClientRect();
      return Array.from(document.querySelectorAll("main button"))
        .map((b) => ({ b, r: b.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && r.left < a.right && r.right > a.left && r.top < a.bottom && r.bottom > a.top)
        .map(({ b }) => b.textContent);
    });
    expect(overlaps, `${label}: heading overlaps buttons`).toEqual([]);
  }

  for (const viewport of [PHONE, DESKTOP]) {
    it(`every page at ${viewport.width} px: fits the width, headings clear of buttons, no serious axe violation, no console error`, async () => {
      const page = await newPage(browser, viewport);
      for (const p of pages) {
        await page.goto(`${server.baseURL}${p.path()}`);
        await p.ready(page);
        const label = `${p.name} at ${viewport.width}`;
        const width = await documentWidth(page);
        if (width > viewport.width) throw new Error(`${label}: document is ${width} px wide:\n${(await overflowingElements(page, viewport.width)).join("\n")}`);
        await expectHeadingClearOfButtons(page, label);
        expect(await seriousA11yViolations(page), label).toEqual([]);
        await screenshot(page, `responsive-${viewport.width}-${p.name}`);
      }
      expect(pageErrorsOf(page)).toEqual([]);
      await page.context().close();
    });
  }

  it("serves the favicon and static files from public/ (no 404)", async () => {
    for (const file of ["/favicon.ico", "/favicon.svg", "/robots.txt"]) {
      const res = await fetch(`${server.baseURL}${file}`);
      expect(res.status, file).toBe(200);
    }
    const html = await (await fetch(`${server.baseURL}/`)).text();
    expect(html).toMatch(/<link rel="icon" href="\/favicon.svg"/);
  });

  it("at 390 px the sidebar is a menu sheet: opens, passes axe, closes with Esc back to its button, and navigates", async () => {
    const page = await newPage(browser, PHONE);
    await page.goto(`${server.baseURL}/`);
    expect(await page.getByTestId("sidebar").isVisible()).toBe(false);
    const menu = page.getByTestId("menu-button");
    await menu.click();
    const nav = page.getByTestId("mobile-nav");
    await nav.waitFor();
    expect(await seriousA11yViolations(page, nav)).toEqual([]);
    await screenshot(page, "responsive-390-menu");
    await page.keyboard.press("Escape");
    await nav.waitFor({ state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("menu-button");
    await menu.click();
    await nav.getByRole("link", { name: "Tasks" }).click();
    await page.waitForURL(/\/tasks$/);
    await nav.waitFor({ state: "detached" });
    await page.context().close();
  });

  it("on desktop the sidebar collapses to icons and stays collapsed after a reload", async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${server.baseURL}/schedules`);
    const sidebar = page.getByTestId("sidebar");
    expect((await sidebar.boundingBox())!.width).toBeGreaterThan(200);
    await page.getByTestId("sidebar-toggle").click();
    await waitFor(async () => (await sidebar.boundingBox())!.width, (w) => w < 80, 5_000, "collapsed sidebar");
    await page.reload();
    await page.getByTestId("schedule-row").first().waitFor();
    await waitFor(async () => (await sidebar.boundingBox())!.width, (w) => w < 80, 5_000, "still collapsed");
    // Icon-only links keep their names.
    await sidebar.getByRole("link", { name: "Settings" }).waitFor();
    await page.getByTestId("sidebar-toggle").click();
    await page.context().close();
  });

  it("the schedule sheet passes axe at both widths and gives focus back to New schedule on close", async () => {
    for (const viewport of [PHONE, DESKTOP]) {
      const page = await newPage(browser, viewport);
      await page.goto(`${server.baseURL}/schedules`);
      await page.getByTestId("schedule-row").first().waitFor();
      const trigger = page.getByRole("button", { name: "New schedule" }).first();
      await trigger.click();
      const sheet = page.getByTestId("schedule-sheet");
      await sheet.waitFor();
      expect(await documentWidth(page)).toBeLessThanOrEqual(viewport.width);
      expect(await seriousA11yViolations(page, sheet), `sheet at ${viewport.width}`).toEqual([]);
      await screenshot(page, `responsive-${viewport.width}-schedule-sheet`);
      await page.keyboard.press("Escape");
      await sheet.waitFor({ state: "detached" });
      expect(await trigger.evaluate((el) => el === document.activeElement)).toBe(true);
      await page.context().close();
    }
  });

  it("schedules list: last run counts manual runs; words, not codes; max turns", async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${server.baseURL}/schedules`);
    const row = page.getByTestId("schedule-row").filter({ hasText: "Daily repository check-in" });
    const lastRun = row.getByTestId("last-run");
    await lastRun.getByText("completed").waitFor();
    expect(await lastRun.innerText()).toMatch(/manual/);
    expect(await lastRun.getByRole("link").getAttribute("href")).toBe(`/tasks/${completedTaskId}`);
    const never = page.getByTestId("schedule-row").filter({ hasText: "Weekly changelog draft" }).getByTestId("last-run");
    expect(await never.innerText()).toBe("never ran");
    expect(await page.getByRole("columnheader", { name: "Max turns" }).count()).toBe(1);
    const body = await page.locator("main").innerText();
    expect(body).not.toMatch(/paused_by_user|process_failure|turn_limit_exceeded|failure_streak|\bsteps?\b/);
    await page.context().close();
  });

  it("schedule page: the prompt, next fires in the schedule's zone and the viewer's, Run once on a paused schedule keeps it paused", async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${server.baseURL}/schedules/${scheduleId}`);
    expect((await page.getByTestId("prompt").innerText()).trimEnd()).toBe(LONG_PROMPT.trimEnd());
    const first = page.getByTestId("next-fires").getByTestId("zoned-time").first();
    await first.waitFor();
    // 03:00 in Kolkata (GMT+5:30) is 21:30 UTC the day before; both are shown, each with its zone.
    expect(await first.locator("time").innerText()).toMatch(/03:00:00 GMT\+5:30$/);
    expect(await first.getByTestId("viewer-time").innerText()).toMatch(/21:30:00 UTC \(yours\)$/);

    const paused = (await server.api("/api/schedules")).data.schedules.find((s: { name: string }) => s.name === "Weekly changelog draft");
    await page.goto(`${server.baseURL}/schedules/${paused.id}`);
    expect(await page.getByTestId("paused-reason").innerText()).toBe("Paused by you");
    await page.getByRole("button", { name: "Run once" }).click();
    const tasks = await waitFor(() => server.api(`/api/schedules/${paused.id}/tasks`), (r) => r.data.tasks.length === 1, 15_000, "one run");
    expect(tasks.data.tasks[0].sourceType).toBe("manual");
    await waitFor(() => server.api(`/api/tasks/${tasks.data.tasks[0].id}`), (r) => r.data.task.status === "completed", 30_000, "run done");
    expect((await server.api(`/api/schedules/${paused.id}`)).data.schedule.status).toBe("paused");
    await page.context().close();
  });

  it("task page: the prompt, what each tool call did, and failure words with their detail", async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${server.baseURL}/tasks/${completedTaskId}`);
    await page.getByTestId("stream-state").filter({ hasText: "ended" }).waitFor();
    const summaries = await page.getByTestId("tool-call-summary").allInnerTexts();
    expect(summaries).toEqual(["echo 1", "echo 2"]);
    await page.getByTestId("prompt-toggle").click();
    expect((await page.getByTestId("prompt").innerText()).trimEnd()).toBe(LONG_PROMPT.trimEnd());
    // Every time on the page names its zone.
    const times = await page.locator("dd").allInnerTexts();
    for (const t of times.filter((x) => /\d{2}:\d{2}:\d{2}/.test(x))) expect(t).toMatch(/\d{2}:\d{2}:\d{2} UTC$/);

    await page.goto(`${server.baseURL}/tasks/${failedTaskId}`);
    const failure = page.getByTestId("task-failure");
    await failure.waitFor();
    expect(await failure.getAttribute("data-code")).toBe("process_failure");
    expect(await failure.innerText()).toMatch(/^Agent process failed — The agent program exited with an error\./);
    await page.context().close();
  });

  it("dashboard chart: a legend, and a click on a bar opens its run", async () => {
    const page = await newPage(browser, DESKTOP);
    await page.goto(`${server.baseURL}/`);
    const legend = page.getByTestId("chart-legend");
    await legend.waitFor();
    expect(await legend.innerText()).toMatch(/Completed[\s\S]*Failed[\s\S]*Running[\s\S]*Cancelled/);
    await page.locator('[data-testid="durations-chart"] .recharts-bar-rectangle').first().click();
    await page.waitForURL((url) => url.pathname.startsWith("/tasks/"));
    expect([completedTaskId, failedTaskId]).toContain(page.url().split("/tasks/")[1]);
    await page.context().close();
  });

  it("chat: rename and delete through dialogs that pass axe and give focus back", async () => {
    const page = await newPage(browser, PHONE);
    await page.goto(`${server.baseURL}/chat`);
    await page.getByTestId("conversation-item").first().click();
    const list = page.getByTestId("message-list");
    await list.getByTestId("message").nth(1).waitFor();
    // The message list scrolls by keyboard (focusable) and is named.
    expect(await list.getAttribute("tabindex")).toBe("0");

    const renameButton = page.getByTestId("rename-conversation");
    await renameButton.click();
    const dialog = page.getByTestId("rename-dialog");
    await dialog.waitFor();
    expect(await seriousA11yViolations(page, dialog)).toEqual([]);
    await dialog.getByLabel("Name").fill("   ");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByRole("alert").filter({ hasText: "must not be empty" }).waitFor();
    await dialog.getByLabel("Name").fill("Repository news");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("conversation-title").filter({ hasText: "Repository news" }).waitFor();
    expect(await renameButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await server.api("/api/chat/conversations")).data.conversations[0].title).toBe("Repository news");
    await screenshot(page, "responsive-390-chat-conversation");

    await page.getByTestId("delete-conversation").click();
    const confirm = page.getByTestId("delete-conversation-dialog");
    await confirm.waitFor();
    expect(await seriousA11yViolations(page, confirm)).toEqual([]);
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    expect(await page.getByTestId("delete-conversation").evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByTestId("delete-conversation").click();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await waitFor(() => server.api("/api/chat/conversations"), (r) => !r.data.conversations.some((c: { id: string }) => c.id === conversationId), 10_000, "deleted");
    expect(pageErrorsOf(page)).toEqual([]);
    await page.context().close();
  });

  it("a queued task shows its place in the queue; Cancel asks first, passes axe and gives focus back", async () => {
    const hang = await makeScriptedRuntime(server, "hangs", ["--hang"]);
    const holder = (await server.api("/api/schedules", { method: "POST", json: { name: "Slot holder", prompt: "p", cronExpression: "0 3 1 1 *", runtimeId: hang.id } })).data.schedule.id;
    const held = await server.api(`/api/schedules/${holder}/execute`, { method: "POST" });
    expect(held.status).toBe(202);
    // Every second, at cap 1 with the slot held: its occurrences queue.
    const busy = (await server.api("/api/schedules", { method: "POST", json: { name: "Every second", prompt: "p", cronExpression: "* * * * * *", runtimeId: hang.id } })).data.schedule.id;
    const queued = await waitFor(() => server.api(`/api/tasks?status=queued&scheduleId=${busy}`), (r) => r.data.tasks.length >= 1, 15_000, "a queued task");
    await server.api(`/api/schedules/${busy}`, { method: "PATCH", json: { status: "paused" } });
    const taskId = queued.data.tasks[0].id;

    const page = await newPage(browser, PHONE);
    await page.goto(`${server.baseURL}/tasks/${taskId}`);
    const place = page.getByTestId("queue-position");
    await place.waitFor();
    expect(await place.innerText()).toMatch(/^(Next in the queue|Number \d+ in the queue) · a slot should free in about /);
    expect(await documentWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, "responsive-390-task-queued");

    const cancel = page.getByRole("button", { name: "Cancel" });
    await cancel.click();
    const confirm = page.getByTestId("cancel-dialog");
    await confirm.waitFor();
    expect(await seriousA11yViolations(page, confirm)).toEqual([]);
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    expect(await cancel.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await server.api(`/api/tasks/${taskId}`)).data.task.status).toBe("queued");
    await cancel.click();
    await confirm.getByRole("button", { name: "Cancel task" }).click();
    await waitFor(() => page.getByTestId("task-status").innerText(), (s) => s === "cancelled", 10_000, "cancelled");
    await page.context().close();

    // Leave nothing running or queued.
    for (const status of ["queued", "running"]) {
      for (const t of (await server.api(`/api/tasks?status=${status}`)).data.tasks) await server.api(`/api/tasks/${t.id}/cancel`, { method: "POST" });
    }
  });
});
