import fs from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium";
import { makeScriptedRuntime, newPage, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";

/** Screenshots for the report (1400 px and 390 px wide). */
const SHOTS = "/work/wt/shots/forecast";

async function shot(page: Page, name: string) {
  await screenshot(page, name);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

describe("forecast timeline and plain words (issue #12 items 8–9, production server, headless Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  // A time of day 12 hours away: inside the 24 h horizon, never firing during the spec.
  const hour = (new Date().getUTCHours() + 12) % 24;
  const cron = `0 ${hour} * * *`;
  const ids: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    await makeScriptedRuntime(server, "Default scripted agent", ["--turns", "1"], { isDefault: true });
    for (const name of ["Nightly A", "Nightly B", "Nightly C"]) {
      const res = await server.api("/api/schedules", { method: "POST", json: { name, prompt: "Summarize", cronExpression: cron, timezone: "UTC" } });
      expect(res.status).toBe(201);
      ids.push(res.data.schedule.id);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("shows the predicted overload with its suggested stagger, and applying it clears the forecast", async () => {
    const api = await server.api("/api/forecast?hours=24");
    expect(api.status).toBe(200);
    expect(api.data.overloads).toHaveLength(1);
    expect(api.data.overloads[0]).toMatchObject({ expectedRunning: 3, scheduleIds: ids, stagger: [{ scheduleId: ids[0], shiftMinutes: 5 }] });

    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/`);
    const timeline = page.getByTestId("forecast-timeline");
    await timeline.getByTestId("forecast-overload").waitFor();
    expect(await timeline.getByTestId("forecast-overload").count()).toBe(1);
    const hh = String(hour).padStart(2, "0");
    expect(await timeline.getByTestId("forecast-overload").innerText()).toContain(`${hh}:00–${hh}:05: 3 expected, cap 2`);
    const suggestion = await timeline.getByTestId("forecast-suggestion").innerText();
    expect(suggestion).toBe(`Stagger “Nightly A” by +5 min (cron “5 ${hour} * * *”) to remove this overload.`);
    // The chart draws the shaded overload and the cap line.
    expect(await timeline.locator(".recharts-reference-area").count()).toBe(1);
    await timeline.getByText("cap 2").first().waitFor();
    await shot(page, "dashboard-forecast-overload-1400");

    const mobile = await newPage(browser, { width: 390, height: 844 });
    await mobile.goto(`${server.baseURL}/`);
    await mobile.getByTestId("forecast-overload").waitFor();
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(mobile, "dashboard-forecast-overload-390");
    await mobile.context().close();

    await timeline.getByRole("button", { name: "Apply stagger" }).click();
    await timeline.getByTestId("forecast-clear").waitFor();
    expect(await timeline.getByTestId("forecast-overload").count()).toBe(0);
    const moved = await server.api(`/api/schedules/${ids[0]}`);
    expect(moved.data.schedule.cronExpression).toBe(`5 ${hour} * * *`);
    await shot(page, "dashboard-forecast-clear-1400");
    await page.context().close();
  });

  it("carries plain words over to cron when switching tabs, and shows a refusal's reason", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    const input = sheet.getByLabel("Schedule", { exact: true });
    await input.fill("every weekday at 8:30 and 17:30");
    await sheet.getByTestId("schedule-preview").getByText("At 08:30 and 17:30, Monday through Friday").waitFor();
    await sheet.getByRole("tab", { name: "Cron" }).click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="schedule-sheet"] input[name="schedule"]') as HTMLInputElement | null)?.value === "30 8,17 * * 1-5");
    expect(await sheet.getByLabel("Schedule", { exact: true }).inputValue()).toBe("30 8,17 * * 1-5");

    await sheet.getByRole("tab", { name: "Plain words" }).click();
    await sheet.getByLabel("Schedule", { exact: true }).fill("every 7 minutes");
    await sheet.getByTestId("schedule-preview").getByText(/4 minutes from :56 to :00/).waitFor();
    await shot(page, "schedule-sheet-plain-words-refusal-1400");
    await page.context().close();
  });
});
