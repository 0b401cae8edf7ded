import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium";
import { makeScriptedRuntime } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/wait";

/** A 6-field cron that fires once a minute, at the second `leadSec` seconds from now. */
function cronInSeconds(leadSec: number): { cronExpression: string; at: number } {
  const at = Math.ceil((Date.now() + leadSec * 1000) / 1000) * 1000;
  return { cronExpression: `${new Date(at).getUTCSeconds()} * * * * *`, at };
}

describe("chat (production server, headless Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let chatRuntimeId: string;
  let longRuntimeId: string;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    // The chat agent: eight turns a second apart, so a reply streams for ~8 s.
    // (makeScriptedRuntime throws unless the runtime is created: 201.)
    chatRuntimeId = (await makeScriptedRuntime(server, "slow scripted agent", ["--turns", "8", "--delay-ms", "1000"])).id;
    longRuntimeId = (await makeScriptedRuntime(server, "long-running scripted agent", ["--turns", "60", "--delay-ms", "500"])).id;
    await makeScriptedRuntime(server, "quick scripted agent", [], { isDefault: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openNewChat(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${server.baseURL}/chat`);
    await page.getByTestId("runtime-picker").locator(`option[value="${chatRuntimeId}"]`).waitFor({ state: "attached" });
    await page.getByTestId("runtime-picker").selectOption(chatRuntimeId);
    await page.getByTestId("new-chat").click();
    await page.getByTestId("conversation-title").filter({ hasText: "New chat" }).waitFor();
    return page;
  }

  async function send(page: Page, text: string) {
    await page.getByTestId("chat-input").fill(text);
    await page.getByTestId("chat-input").press("Enter");
  }

  const tasksOf = async (scheduleId: string) => (await server.api(`/api/tasks?scheduleId=${scheduleId}`)).data.tasks as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it("streams a reply while a due scheduled task waits for the stream to end; the chat page and dashboard show the held-back state", async () => {
    expect((await server.api("/api/settings", { method: "PATCH", json: { chatPressureDelaySec: 120 } })).status).toBe(200);
    // A slow task already in flight before the chat starts: chat pressure must not touch it.
    const slow = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "in flight", prompt: "slow work", cronExpression: "0 0 1 1 *", runtimeId: longRuntimeId },
    });
    const run = await server.api(`/api/schedules/${slow.data.schedule.id}/execute`, { method: "POST" });
    expect(run.status).toBe(202);
    const taskApi = async (id: string) => (await server.api(`/api/tasks/${id}`)).data.task;
    const inFlightAtStart = await waitFor(
      () => taskApi(run.data.taskId),
      (t) => t.status === "running" && t.turnCount >= 1,
      30_000,
      "the in-flight task to make progress",
    );

    const dashboard = await browser.newPage();
    await dashboard.goto(`${server.baseURL}/`);
    await dashboard.getByTestId("chat-streams").filter({ hasText: /^0$/ }).waitFor();
    const page = await openNewChat();
    const { cronExpression, at } = cronInSeconds(2);
    const schedule = await server.api("/api/schedules", { method: "POST", json: { name: "due during chat", prompt: "scheduled work", cronExpression } });
    expect(schedule.status).toBe(201);
    const scheduleId = schedule.data.schedule.id;

    await send(page, "Tell me a story");
    const streaming = page.getByTestId("streaming-message");
    // The reply arrives piece by piece: the first step shows while the agent is still working.
    await streaming.filter({ hasText: "step 1" }).waitFor();
    expect(await streaming.getAttribute("data-status")).toBe("streaming");
    expect(await streaming.innerText()).not.toContain("done: Tell me a story");

    // The occurrence comes due mid-stream: its task is queued, held back, and the page says so.
    await page.getByTestId("held-back-indicator").waitFor({ timeout: 15_000 });
    const held = await waitFor(
      async () => (await tasksOf(scheduleId))[0],
      (task) => !!task && Date.now() > at + 1_000,
      30_000,
      "the scheduled task",
    );
    const status = (await server.api("/api/scheduler/status")).data;
    expect(status.chatStreamsActive).toBe(1);
    expect(held.status).toBe("queued");
    expect(Date.parse(held.plannedAt)).toBe(at);
    const stillStreamingAt = Date.now();
    expect(await streaming.getAttribute("data-status")).toBe("streaming");
    const inFlight = await taskApi(run.data.taskId);
    expect(inFlight.status).toBe("running");
    expect(inFlight.turnCount).toBeGreaterThan(inFlightAtStart.turnCount);
    // The dashboard shows the chat pressure: one stream, one task waiting, starts held back.
    await dashboard.getByTestId("chat-streams").filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await dashboard.getByTestId("queue-depth").filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    await dashboard.getByText("New scheduled starts are held back").waitFor({ timeout: 5_000 });

    // The stream ends → the saved reply replaces the live one → the task starts.
    const reply = page.getByTestId("message").filter({ hasText: "done: Tell me a story" });
    await reply.waitFor({ timeout: 20_000 });
    expect(await reply.getAttribute("data-status")).toBe("complete");
    const started = await waitFor(async () => (await tasksOf(scheduleId))[0], (task) => !!task?.startedAt, 30_000, "the scheduled task to start");
    expect(Date.parse(started.startedAt)).toBeGreaterThan(stillStreamingAt);
    expect(Date.parse(started.startedAt) - at).toBeLessThan(60_000); // the stream ended, not the 120 s delay
    expect(Date.parse(started.plannedAt)).toBe(at); // the occurrence keeps its nominal time
    await page.getByTestId("held-back-indicator").waitFor({ state: "detached" });
    await dashboard.getByTestId("chat-streams").filter({ hasText: /^0$/ }).waitFor();
    await dashboard.close();
    // The in-flight task ran through the whole chat untouched; stop it now.
    const after = await taskApi(run.data.taskId);
    expect(after.status).toBe("running");
    expect(after.turnCount).toBeGreaterThan(inFlight.turnCount);
    expect((await server.api(`/api/tasks/${run.data.taskId}/cancel`, { method: "POST" })).status).toBe(200);
    await server.api(`/api/schedules/${scheduleId}`, { method: "DELETE" });
    await server.api(`/api/schedules/${slow.data.schedule.id}`, { method: "DELETE" });
    await page.close();
  });

  it("starts a held-back task once chatPressureDelaySec passes even while the chat still streams", async () => {
    expect((await server.api("/api/settings", { method: "PATCH", json: { chatPressureDelaySec: 2 } })).status).toBe(200);
    const page = await openNewChat();
    const { cronExpression, at } = cronInSeconds(2);
    const schedule = await server.api("/api/schedules", { method: "POST", json: { name: "bounded hold", prompt: "scheduled work", cronExpression } });
    const scheduleId = schedule.data.schedule.id;
    await send(page, "Another long one");
    await page.getByTestId("streaming-message").filter({ hasText: "step 1" }).waitFor();

    const started = await waitFor(async () => (await tasksOf(scheduleId))[0], (task) => !!task?.startedAt, 30_000, "the scheduled task to start");
    const heldMs = Date.parse(started.startedAt) - at;
    expect(heldMs).toBeGreaterThanOrEqual(2_000);
    expect(heldMs).toBeLessThan(5_000);
    // The chat was still streaming when the delay ran out.
    expect(await page.getByTestId("streaming-message").getAttribute("data-status")).toBe("streaming");
    await page.getByTestId("message").filter({ hasText: "done: Another long one" }).waitFor({ timeout: 20_000 });
    await server.api(`/api/schedules/${scheduleId}`, { method: "DELETE" });
    await page.close();
  });

  it("stops a streaming reply from the stop button and keeps what was received", async () => {
    const page = await openNewChat();
    await send(page, "Something long");
    await page.getByTestId("streaming-message").filter({ hasText: "step 1" }).waitFor();
    await page.getByTestId("stop").click();
    const stopped = page.locator('[data-testid="message"][data-role="assistant"][data-status="aborted"]');
    await stopped.waitFor({ timeout: 15_000 });
    expect(await stopped.innerText()).toContain("step 1");
    expect(await stopped.innerText()).not.toContain("done: Something long");
    expect((await server.api("/api/scheduler/status")).data.chatStreamsActive).toBe(0);
    await page.close();
  });

  it("keeps multi-turn context through the runtime session", async () => {
    const page = await openNewChat();
    await send(page, "first question");
    await page.getByTestId("message").filter({ hasText: "done: first question" }).waitFor({ timeout: 20_000 });
    await send(page, "second question");
    // The scripted agent echoes the session it resumed.
    await page.getByTestId("message").filter({ hasText: /resumed .+: done: second question/ }).waitFor({ timeout: 20_000 });
    const conversations = (await server.api("/api/chat/conversations")).data.conversations;
    expect(conversations[0].title).toBe("first question");
    await page.close();
  });
});
