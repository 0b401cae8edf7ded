/**
 * Issue 11 items 1–2 end to end: a webhook channel created in Settings → Notifications, a
 * schedule whose command runtime exits 1, and the signed delivery seen at a local receiver
 * and on the channel's deliveries list; Send test; the schedule sheet's Notifications part.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium";
import { newPage, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { waitFor } from "./support/wait";

interface Received {
  headers: http.IncomingHttpHeaders;
  rawBody: string;
}

describe("notifications (production server, headless Chromium, a local webhook receiver)", () => {
  let server: TestServer;
  let browser: Browser;
  let receiver: http.Server;
  let receiverUrl = "";
  const received: Received[] = [];

  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push({ headers: req.headers, rawBody: body });
        res.end("ok");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/agentcron`;
    server = await startServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it("a webhook channel made in the UI receives the signed task_failed of a run that exits 1, and the channel page shows the delivery", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/settings`);
    const panel = page.locator("#notifications");
    await panel.getByText("No channels yet.").waitFor();
    await panel.getByRole("button", { name: "Add channel" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("Ops webhook");
    // A wrong scheme is refused by the server, under the field.
    await dialog.getByLabel("URL").fill("ftp://127.0.0.1/nope");
    await dialog.getByRole("button", { name: "Create channel" }).click();
    await dialog.getByText("must be an http:// or https:// URL").waitFor();
    await dialog.getByLabel("URL").fill(receiverUrl);
    expect(await dialog.getByText("must be an http:// or https:// URL").count()).toBe(0);
    await dialog.getByLabel("Default channel (for schedules that choose none)").click();
    await screenshot(page, "notifications-channel-dialog");
    await dialog.getByRole("button", { name: "Create channel" }).click();
    // The generated secret, shown once.
    const secretBox = page.getByTestId("channel-secret");
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    await page.getByRole("button", { name: "Done" }).click();
    await panel.getByTestId("channel-Ops webhook").waitFor();
    const { data } = await server.api("/api/notification-channels");
    expect(JSON.stringify(data)).not.toContain(secret);

    // A schedule on a command runtime that exits 1, run once (no retries: a final failure).
    const runtime = (await server.api("/api/runtimes", { method: "POST", json: { name: "exits 1", kind: "command", config: { command: [process.execPath, "-e", "process.exit(1)"], promptVia: "stdin", outputFormat: "text" } } })).data.runtime;
    const schedule = (await server.api("/api/schedules", { method: "POST", json: { name: "Nightly audit", prompt: "audit", cronExpression: "0 3 1 1 *", runtimeId: runtime.id, maxAttempts: 1 } })).data.schedule;
    const run = await server.api(`/api/schedules/${schedule.id}/execute`, { method: "POST" });
    expect(run.status).toBe(202);

    await waitFor(async () => received.length, (n) => n >= 1, 30_000, "the webhook delivery");
    const hit = received[0];
    const expected = createHmac("sha256", secret).update(`${hit.headers["x-agentcron-timestamp"]}.${hit.rawBody}`).digest("hex");
    expect(hit.headers["x-agentcron-signature"]).toBe(`sha256=${expected}`);
    expect(Math.abs(Number(hit.headers["x-agentcron-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    const body = JSON.parse(hit.rawBody);
    expect(body).toMatchObject({ type: "task_failed", schedule: { id: schedule.id, name: "Nightly audit" }, task: { id: run.data.taskId, status: "failed" } });

    // The channel page lists it: delivered, HTTP 200, one attempt.
    const row = panel.getByTestId("channel-Ops webhook");
    await row.getByRole("button", { name: "Ops webhook", exact: true }).click();
    const table = row.getByRole("table", { name: "Last deliveries" });
    await table.getByText("delivered").waitFor();
    expect(await table.getByTestId("delivery-response").first().innerText()).toBe("200");
    expect(await table.getByText("Failed", { exact: true }).count()).toBe(1);

    // Send test: a second delivery, seen at the receiver and in the list.
    await row.getByRole("button", { name: "Send test" }).click();
    await waitFor(async () => received.length, (n) => n >= 2, 30_000, "the test delivery");
    expect(JSON.parse(received[1].rawBody)).toMatchObject({ type: "test", schedule: null });
    await table.getByText("Test", { exact: true }).waitFor();
    await waitFor(async () => table.getByText("delivered").count(), (n) => n === 2, 15_000, "both delivered in the list");
    await screenshot(page, "notifications-settings-1400");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "notifications-settings-390");
    expect(received).toHaveLength(2);
    await page.context().close();
  });

  it("the schedule sheet's Notifications part saves a channel set, events and a quiet marker", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Digest");
    await sheet.getByLabel("Prompt").fill("Summarize; say NO_FINDINGS when there is nothing.");
    await sheet.getByLabel("Schedule", { exact: true }).fill("every day at 7:00");
    await sheet.getByRole("button", { name: /Notifications/ }).click();
    const part = sheet.getByTestId("sheet-notifications");
    await part.getByLabel(/Use the default channels/).click();
    await part.getByRole("checkbox", { name: "Ops webhook webhook" }).click();
    await part.getByLabel(/^Default events/).click();
    await part.getByLabel(/^Every success/).click();
    await part.getByLabel("Quiet-run marker").fill("NO_FINDINGS");
    await screenshot(page, "notifications-sheet-1400");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await waitFor(async () => (await server.api("/api/schedules")).data.schedules.find((s: { name: string }) => s.name === "Digest"), (s) => !!s, 15_000, "schedule saved");
    const channelId = (await server.api("/api/notification-channels")).data.channels[0].id;
    const saved = (await server.api("/api/schedules")).data.schedules.find((s: { name: string }) => s.name === "Digest");
    expect(saved).toMatchObject({ notificationChannelIds: [channelId], quietResultMarker: "NO_FINDINGS" });
    expect([...saved.notifyOn].sort()).toEqual(["budget_exceeded", "occurrences_missed", "schedule_paused", "task_failed", "task_recovered", "task_succeeded"]);

    const narrow = await newPage(browser, { width: 390, height: 900 });
    await narrow.goto(`${server.baseURL}/schedules`);
    await narrow.getByRole("button", { name: "New schedule" }).first().click();
    const narrowSheet = narrow.getByTestId("schedule-sheet");
    await narrowSheet.getByRole("button", { name: /Notifications/ }).click();
    await narrowSheet.getByLabel(/^Default events/).click();
    await screenshot(narrow, "notifications-sheet-390");
    await narrow.context().close();
    await page.context().close();
  });
});
