import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium";
import { newPage, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";

/** Full-page PNG at 390 × 844 (phone), then back to the desktop viewport. */
async function phoneShot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, name);
  await page.setViewportSize({ width: 1400, height: 1000 });
}

describe("first-run onboarding: empty DB → runtime → test → schedule → first completed run (production server, headless Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  let emptyClaudeDir: string;

  beforeAll(async () => {
    // A machine with nothing on it: no Claude login or key, no OpenAI key, no Ollama answering.
    emptyClaudeDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-no-claude-"));
    server = await startServer({
      env: { CLAUDE_CONFIG_DIR: emptyClaudeDir, ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "", AGENTCRON_OLLAMA_URL: "http://127.0.0.1:9" },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(emptyClaudeDir, { recursive: true, force: true });
  });

  it("walks the checklist with the scripted demo agent to a completed run", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/`);
    const card = page.getByTestId("onboarding");
    await card.getByText("Get your first agent run").waitFor();
    // Nothing found: only the demo agent is offered, labelled as such.
    const offers = card.getByTestId("runtime-offer");
    await offers.first().waitFor();
    expect(await offers.count()).toBe(1);
    expect(await offers.first().innerText()).toMatch(/Scripted demo agent \(no model\)[\s\S]*demo · no model/);
    await card.getByText("No agent found on this machine").waitFor();
    await screenshot(page, "onboarding-empty-1400");
    await phoneShot(page, "onboarding-empty-390");

    // 1. One click creates the runtime (the default one).
    await offers.first().getByRole("button", { name: "Use the demo agent" }).click();
    await card.getByTestId("step-runtime").and(page.locator("[data-done=true]")).waitFor();
    const { data: rt } = await server.api("/api/runtimes");
    expect(rt.runtimes).toHaveLength(1);
    expect(rt.runtimes[0]).toMatchObject({ name: "Scripted demo agent (no model)", kind: "command", isDefault: true });

    // 2. Test it: a three-turn agent stopped at the test's one turn "responded".
    await card.getByRole("button", { name: /^Test Scripted demo agent/ }).click();
    await card.getByTestId("onboarding-test-verdict").getByText("responded").waitFor({ timeout: 30_000 });
    await card.getByTestId("step-test").and(page.locator("[data-done=true]")).waitFor();

    // 3. A template fills the sheet; create it.
    await card.getByTestId("schedule-template").filter({ hasText: "Daily repository check-in" }).click();
    const sheet = page.getByTestId("schedule-sheet");
    expect(await sheet.getByLabel("Name", { exact: true }).inputValue()).toBe("Daily repository check-in");
    expect(await sheet.getByLabel("Schedule", { exact: true }).inputValue()).toBe("weekdays at 9:00");
    await sheet.getByTestId("schedule-preview").getByText("At 09:00, Monday through Friday").waitFor();
    await screenshot(page, "onboarding-template-sheet-1400");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.waitFor({ state: "detached" });
    await card.getByTestId("step-schedule").and(page.locator("[data-done=true]")).waitFor();
    const { data: sc } = await server.api("/api/schedules");
    expect(sc.schedules).toHaveLength(1);
    expect(sc.schedules[0]).toMatchObject({ name: "Daily repository check-in", cronExpression: "0 9 * * 1-5", status: "active", maxTurns: 30 });

    // 4. Run it now and watch it complete.
    await card.getByRole("button", { name: "Run now" }).click();
    await card.getByTestId("onboarding-latest-run").getByText("completed").waitFor({ timeout: 30_000 });
    await card.getByText("You're set up").waitFor();
    const { data: tasks } = await server.api("/api/tasks");
    expect(tasks.tasks).toHaveLength(1);
    expect(tasks.tasks[0]).toMatchObject({ status: "completed", scheduleId: sc.schedules[0].id, sourceType: "manual" });
    await screenshot(page, "onboarding-done-1400");
    await phoneShot(page, "onboarding-done-390");

    // Hidden for good once dismissed.
    await card.getByRole("button", { name: "Hide this checklist" }).click();
    await card.waitFor({ state: "detached" });
    await page.reload();
    await page.getByTestId("capacity").waitFor();
    expect(await page.getByTestId("onboarding").count()).toBe(0);
    await page.context().close();
  });

  it("an installation that is already set up never shows the checklist", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/`);
    await page.getByTestId("capacity").waitFor();
    await page.getByTestId("dashboard-next-fires").waitFor();
    expect(await page.getByTestId("onboarding").count()).toBe(0);
    await page.context().close();
  });
});
