/**
 * Calendar controls in the dashboard (issue 12 items 2, 3; production server, headless
 * Chromium): an active window set in the schedule sheet's Calendar part makes the
 * scheduler skip occurrences outside it, and the run history shows them as skipped
 * "outside the active window"; a backfill's runs carry a "backfill" badge in history;
 * "Pause until" shows its note in the list.
 */
import { describe, expect, it } from "vitest";
import { makeScriptedRuntime, newPage, screenshot } from "./support/dashboard";
import { useServerAndBrowser } from "./support/suite";
import { waitFor } from "./support/wait";

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe("calendar controls (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser({}, (s) => makeScriptedRuntime(s.server, "Default scripted agent", ["--turns", "1"], { isDefault: true }).then(() => undefined));

  it("an active window set in the sheet skips the occurrences outside it, shown in history as outside_window", async () => {
    // Every 5 s, saved paused so nothing fires before the window is set.
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Office hours only", prompt: "Check the inbox", cronExpression: "*/5 * * * * *", timezone: "UTC", status: "paused" },
    });
    expect(created.status).toBe(201);
    const id = created.data.schedule.id;

    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByRole("button", { name: /Calendar/ }).click();
    await sheet.getByLabel(/Only run inside active hours/).click();
    // A window that doesn't contain now, every day of the week.
    const now = Date.now();
    for (const day of ["Sat", "Sun"]) await sheet.getByRole("checkbox", { name: day }).click();
    await sheet.getByLabel("From", { exact: true }).fill(hhmm(now + 2 * 3600_000));
    await sheet.getByLabel("Until", { exact: true }).fill(hhmm(now + 3 * 3600_000));
    await sheet.getByLabel("Outside these hours").selectOption("skip");
    await sheet.getByTestId("calendar-save").click();
    await page.getByText("Calendar saved").waitFor();
    const saved = (await suite.server.api(`/api/schedules/${id}`)).data.schedule;
    expect(saved.activeWindow).toEqual({ days: [1, 2, 3, 4, 5, 6, 7], start: hhmm(now + 2 * 3600_000), end: hhmm(now + 3 * 3600_000), policy: "skip" });
    await screenshot(page, "calendar-sheet-1400");

    // Resume: the next occurrences come due outside the window.
    expect((await suite.server.api(`/api/schedules/${id}`, { method: "PATCH", json: { status: "active" } })).status).toBe(200);
    await sheet.getByRole("button", { name: "Cancel" }).click();
    await sheet.waitFor({ state: "detached" });

    const tasks = await waitFor(
      async () => (await suite.server.api(`/api/schedules/${id}/tasks`)).data.tasks as { status: string; skippedReason: string | null }[],
      (t) => t.length >= 2,
      30_000,
      "two occurrences planned",
    );
    expect(tasks.every((t) => t.status === "skipped" && t.skippedReason === "outside_window")).toBe(true);
    // The history (polled every 3 s) folds them under their reason.
    const fold = page.getByTestId("history-fold").first();
    await fold.getByText(/skipped occurrences? \(outside the active window\)/).waitFor({ timeout: 15_000 });
    await fold.getByRole("button").first().click();
    await fold.getByText("Skipped: outside the active window").first().waitFor();
    await screenshot(page, "calendar-history-window-skip-1400");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "calendar-history-window-skip-390");
    await page.context().close();
    expect((await suite.server.api(`/api/schedules/${id}`, { method: "PATCH", json: { status: "paused" } })).status).toBe(200);
  });

  it("backfill runs carry a 'backfill' badge in history; 'Pause until' shows its note in the list", async () => {
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Nightly report", prompt: "Write the report", cronExpression: "* * * * *", timezone: "UTC", overlapPolicy: "allow_all" },
    });
    const id = created.data.schedule.id;
    const to = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const res = await suite.server.api(`/api/schedules/${id}/backfill`, { method: "POST", json: { from: new Date(to - 2 * 60_000).toISOString(), to: new Date(to).toISOString() } });
    expect(res.status).toBe(202);
    expect(res.data.taskIds).toHaveLength(3);
    await waitFor(
      async () => ((await suite.server.api(`/api/schedules/${id}/tasks`)).data.tasks as { backfill: boolean; status: string }[]).filter((t) => t.backfill && t.status === "completed").length,
      (n) => n === 3,
      30_000,
      "backfill runs completed",
    );

    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    await page.getByTestId("history-backfill").first().waitFor();
    expect(await page.getByTestId("history-backfill").count()).toBe(3);

    // Pause until, from the sheet's Calendar part; the list shows the note.
    await page.getByRole("button", { name: "Edit" }).click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByRole("button", { name: /Calendar/ }).click();
    await sheet.getByLabel("Pause until (your time)").fill("2030-01-02T09:30");
    await sheet.getByRole("button", { name: "Pause until", exact: true }).click();
    await sheet.getByTestId("calendar-paused-until").waitFor();
    await screenshot(page, "calendar-sheet-paused-1400");
    await page.setViewportSize({ width: 390, height: 900 });
    await screenshot(page, "calendar-sheet-paused-390");
    const schedule = (await suite.server.api(`/api/schedules/${id}`)).data.schedule;
    expect(schedule).toMatchObject({ status: "paused", pausedReason: "paused_until", pausedUntil: "2030-01-02T09:30:00.000Z" });
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${suite.server.baseURL}/schedules`);
    const row = page.getByTestId("schedule-row").filter({ hasText: "Nightly report" });
    expect(await row.getByTestId("paused-reason").innerText()).toMatch(/Paused until 2 Jan 2030/);
    await screenshot(page, "calendar-list-paused-until-1400");
    await page.context().close();
  });
});
