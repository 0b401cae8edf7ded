import { describe, expect, it } from "vitest";
import { makeScriptedRuntime, newPage, pick, screenshot } from "./support/dashboard";
import { useServerAndBrowser } from "./support/suite";

describe("schedule create/edit sheet (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser();

  const findSchedule = async (name: string) => {
    const { data } = await suite.server.api("/api/schedules");
    return data.schedules.filter((s: { name: string }) => s.name === name);
  };

  it("shows empty states on a fresh install", async () => {
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/`);
    await page.getByTestId("capacity").waitFor();
    expect(await page.getByTestId("capacity").innerText()).toBe("0 / 2");
    await page.getByText("Nothing scheduled.").waitFor();
    await page.getByText("No failed runs.").waitFor();
    await screenshot(page, "dashboard-empty");
    await page.goto(`${suite.server.baseURL}/tasks`);
    await page.getByText("No tasks yet.").waitFor();
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByText("No schedules yet.").waitFor();
    await screenshot(page, "schedules-empty");
    await page.context().close();
  });

  it("creates a schedule through the sheet with max steps 3 and persists maxTurns", async () => {
    // An active schedule needs a runnable runtime: this default one serves the whole spec.
    await makeScriptedRuntime(suite.server, "Default scripted agent", ["--turns", "1"], { isDefault: true });
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Sheet created");
    await sheet.getByLabel("Prompt").fill("Summarize open PRs. MAX 20 turns.");
    await sheet.getByLabel("Schedule", { exact: true }).fill("every 15 minutes");
    // Live preview from /api/schedules/preview: description and the next 5 fire times.
    const preview = sheet.getByTestId("schedule-preview");
    await preview.getByText("Every 15 minutes").waitFor();
    expect(await preview.getByText("*/15 * * * *").count()).toBe(1);
    expect(await preview.getByTestId("preview-next").locator("li").count()).toBe(5);
    expect(await sheet.getByText("is only a hint to the agent").count()).toBe(1);
    await sheet.getByLabel("Max turns per run").fill("3");
    await screenshot(page, "schedule-sheet-create");
    // A double click creates one schedule.
    await sheet.getByRole("button", { name: "Create schedule" }).dblclick();
    await sheet.waitFor({ state: "detached" });

    const all = await findSchedule("Sheet created");
    expect(all).toHaveLength(1);
    const [saved] = all;
    expect(saved).toMatchObject({ maxTurns: 3, cronExpression: "*/15 * * * *", timezone: "UTC", prompt: "Summarize open PRs. MAX 20 turns.", status: "active" });
    await page.getByTestId("schedule-row").filter({ hasText: "Sheet created" }).waitFor();
    await page.context().close();
  });

  it("shows suite.server field errors under their fields and saves nothing", async () => {
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Broken");
    await sheet.getByLabel("Prompt").fill("p");
    await sheet.getByLabel("Schedule", { exact: true }).fill("whenever you feel like it");
    await sheet.getByLabel("Max turns per run").fill("20000");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.getByText("must be between 1 and 10000").waitFor();
    expect(await sheet.getByLabel("Max turns per run").getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "schedule-sheet-errors");
    // Fix the steps; the bad schedule is named next.
    await sheet.getByLabel("Max turns per run").fill("50");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.getByTestId("error-schedule").waitFor();
    expect(await sheet.getByTestId("error-schedule").innerText()).toContain("is not understood");
    expect(await findSchedule("Broken")).toEqual([]);
    await page.context().close();
  });

  it("edits every field and sees each one round-trip through PATCH", async () => {
    const runtime = await makeScriptedRuntime(suite.server, "Scripted agent", ["--turns", "1"]);
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Round trip", prompt: "Original prompt", cronExpression: "0 9 * * *", timezone: "UTC" },
    });
    expect(created.status).toBe(201);
    const id = created.data.schedule.id;

    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules/${id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Round trip edited");
    await sheet.getByLabel("Prompt").fill("Edited prompt");
    await sheet.getByLabel("Schedule", { exact: true }).fill("30 7 * * 1-5");
    // The searchable zone picker: type part of a name, pick the canonical IANA option.
    await sheet.getByLabel("Timezone", { exact: true }).fill("tokyo");
    await page.getByRole("option", { name: /^Asia\/Tokyo/ }).click();
    await sheet.getByTestId("schedule-preview").getByText("At 07:30, Monday through Friday").waitFor();
    await pick(page, sheet.getByLabel("Runtime"), /Scripted agent/);
    await sheet.getByLabel("Max turns per run").fill("250");
    await sheet.getByLabel("Max run duration (seconds)").fill("900");
    await sheet.getByRole("button", { name: /^Advanced/ }).click();
    await pick(page, sheet.getByLabel("Overlap policy"), /^Buffer all/);
    await pick(page, sheet.getByLabel("Catch-up policy"), /^All/);
    await sheet.getByLabel("Catch-up window (seconds)").fill("7200");
    await sheet.getByLabel("Attempts").fill("5");
    await sheet.getByLabel("Max firings").fill("42");
    await sheet.getByLabel("Expires at").fill("2031-05-06T07:08");
    await sheet.getByRole("switch").click();
    await screenshot(page, "schedule-sheet-edit");
    await sheet.getByRole("button", { name: "Save changes" }).click();
    await sheet.waitFor({ state: "detached" });

    const { data } = await suite.server.api(`/api/schedules/${id}`);
    expect(data.schedule).toMatchObject({
      name: "Round trip edited",
      prompt: "Edited prompt",
      cronExpression: "30 7 * * 1-5",
      timezone: "Asia/Tokyo",
      runtimeId: runtime.id,
      maxTurns: 250,
      maxRunDurationSec: 900,
      overlapPolicy: "buffer_all",
      catchUpPolicy: "all",
      catchUpWindowSec: 7200,
      maxAttempts: 5,
      maxFirings: 42,
      expiresAt: "2031-05-06T07:08:00.000Z",
      status: "paused",
      pausedReason: "paused_by_user",
    });
    await page.getByTestId("paused-reason").waitFor();

    // Reopen: the form shows the saved values; clearing the optional ones sends nulls (inherit / no limit / never).
    await page.getByRole("button", { name: "Edit" }).click();
    const again = page.getByTestId("schedule-sheet");
    expect(await again.getByLabel("Name", { exact: true }).inputValue()).toBe("Round trip edited");
    expect(await again.getByLabel("Timezone", { exact: true }).inputValue()).toMatch(/^Asia\/Tokyo \(UTC\+0?9(:00)?\)$/);
    expect(await again.getByLabel("Max turns per run").inputValue()).toBe("250");
    await again.getByRole("button", { name: /^Advanced/ }).click();
    expect(await again.getByLabel("Runtime").innerText()).toContain("Scripted agent");
    expect(await again.getByLabel("Overlap policy").innerText()).toContain("Buffer all");
    expect(await again.getByLabel("Expires at").inputValue()).toBe("2031-05-06T07:08");
    await again.getByLabel("Max turns per run").fill("");
    await again.getByLabel("Max firings").fill("");
    await again.getByLabel("Expires at").fill("");
    await again.getByLabel("Max run duration (seconds)").fill("");
    await pick(page, again.getByLabel("Runtime"), "Default runtime");
    await again.getByRole("switch").click();
    await again.getByRole("button", { name: "Save changes" }).click();
    await again.waitFor({ state: "detached" });
    const after = (await suite.server.api(`/api/schedules/${id}`)).data.schedule;
    expect(after).toMatchObject({ maxTurns: null, maxFirings: null, expiresAt: null, maxRunDurationSec: null, runtimeId: null, status: "active" });
    expect(after.nextFireAt).not.toBeNull();
    await page.context().close();
  });

  it("shows the collision banner, stays open with Keep / Edit time, and moves to the suggested free minute without a duplicate", async () => {
    await suite.server.api("/api/schedules", { method: "POST", json: { name: "Nightly report", prompt: "p", cronExpression: "0 9 * * *", timezone: "UTC", maxTurns: 2500 } });
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Morning digest");
    await sheet.getByLabel("Prompt").fill("Digest");
    await sheet.getByRole("tab", { name: "Cron" }).click();
    await sheet.getByLabel("Schedule", { exact: true }).fill("0 9 * * *");
    await sheet.getByLabel("Max turns per run").fill("600");
    await sheet.getByRole("button", { name: "Create schedule" }).click();

    const banner = sheet.getByTestId("collision-banner");
    await banner.waitFor();
    // Biggest contributor first; the every-15-minutes schedule of the first test also fires at 09:00 (3 turns).
    expect(await banner.innerText()).toMatch(/Overlap with Nightly report(, [^,]+)*, combined ~31\d\d agent turns; they will compete for slots\./);
    expect(await banner.getByRole("button", { name: "Keep" }).count()).toBe(1);
    await screenshot(page, "schedule-sheet-collision");

    await banner.getByRole("button", { name: "Edit time" }).click();
    await banner.waitFor({ state: "detached" });
    expect(await sheet.getByLabel("Schedule", { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true);
    // 09:01 is still in the crowded 09:00–09:05 bucket: warned again, now with 08:56 offered.
    await sheet.getByLabel("Schedule", { exact: true }).fill("1 9 * * *");
    await sheet.getByRole("button", { name: "Save changes" }).click();
    await banner.waitFor();
    // The banner takes focus (it is at the top, the save button at the bottom).
    expect(await banner.evaluate((el) => el === document.activeElement)).toBe(true);
    // "Use 08:56" saves the suggested time at once.
    await banner.getByRole("button", { name: "Use 08:56" }).click();
    await sheet.waitFor({ state: "detached" });
    const digests = await findSchedule("Morning digest");
    expect(digests).toHaveLength(1);
    expect(digests[0].cronExpression).toBe("56 8 * * *");

    // "Keep" closes the sheet and keeps the colliding time.
    await page.getByRole("button", { name: "New schedule" }).first().click();
    await sheet.getByLabel("Name", { exact: true }).fill("Also nine");
    await sheet.getByLabel("Prompt").fill("p");
    await sheet.getByRole("tab", { name: "Cron" }).click();
    await sheet.getByLabel("Schedule", { exact: true }).fill("0 9 * * *");
    await sheet.getByLabel("Max turns per run").fill("900");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.getByTestId("collision-banner").getByRole("button", { name: "Keep" }).click();
    await sheet.waitFor({ state: "detached" });
    expect((await findSchedule("Also nine"))[0].cronExpression).toBe("0 9 * * *");
    await page.context().close();
  });

  it("offers Run once instead of Run now for a paused schedule, on the list and on its page", async () => {
    const paused = await suite.server.api("/api/schedules", { method: "POST", json: { name: "Paused one", prompt: "p", cronExpression: "0 3 * * *", status: "paused" } });
    await suite.server.api("/api/schedules", { method: "POST", json: { name: "Active one", prompt: "p", cronExpression: "0 4 * * *" } });
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    const pausedRow = page.getByTestId("schedule-row").filter({ hasText: "Paused one" });
    const activeRow = page.getByTestId("schedule-row").filter({ hasText: "Active one" });
    await activeRow.getByRole("button", { name: "Run now" }).waitFor();
    await pausedRow.getByRole("button", { name: "Resume" }).waitFor();
    expect(await pausedRow.getByRole("button", { name: "Run now" }).count()).toBe(0);
    await pausedRow.getByRole("button", { name: "Run once" }).waitFor();
    await screenshot(page, "schedules-list");

    await page.goto(`${suite.server.baseURL}/schedules/${paused.data.schedule.id}`);
    await page.getByTestId("paused-reason").waitFor();
    expect(await page.getByTestId("paused-reason").innerText()).toBe("Paused by you");
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(0);
    await screenshot(page, "schedule-detail-paused");
    // Resuming brings it back.
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Run now" }).waitFor();
    await page.getByTestId("next-fires").waitFor();
    await screenshot(page, "schedule-detail-active");
    await page.context().close();
  });
});
