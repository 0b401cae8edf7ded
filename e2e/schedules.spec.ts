import { describe, expect, it } from "vitest";
import { makeScriptedRuntime } from "./support/dashboard";
import { useServerAndBrowser } from "./support/suite";

describe("schedules page (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser();

  it("lists a schedule created through the API with its human cron and next fire time", async () => {
    // An active schedule needs a runnable runtime (the default one here).
    await makeScriptedRuntime(suite.server, "default scripted agent", [], { isDefault: true });
    const created = await suite.server.api("/api/schedules", {
      method: "POST",
      json: { name: "Morning digest", prompt: "Summarize overnight changes", schedule: "weekdays at 9:00", timezone: "Europe/Berlin" },
    });
    expect(created.status).toBe(201);
    expect(created.data.schedule.cronExpression).toBe("0 9 * * 1-5");

    const page = await suite.browser.newPage();
    await page.goto(`${suite.server.baseURL}/schedules`);
    const row = page.getByTestId("schedule-row").filter({ hasText: "Morning digest" });
    await row.waitFor();
    const text = await row.innerText();
    expect(text).toContain("At 09:00, Monday through Friday");
    expect(text).toContain("0 9 * * 1-5 · Europe/Berlin");
    expect(await row.getByTestId("next-fire").innerText()).toMatch(/^in \d+ (minutes?|hours?|days?)$|^tomorrow$/);
    await page.close();
  });

  it("pauses and resumes from the list", async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.server.baseURL}/schedules`);
    const row = page.getByTestId("schedule-row").filter({ hasText: "Morning digest" });
    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByRole("button", { name: "Resume" }).waitFor();
    const { data } = await suite.server.api("/api/schedules");
    expect(data.schedules[0].status).toBe("paused");
    await row.getByRole("button", { name: "Resume" }).click();
    await row.getByRole("button", { name: "Pause" }).waitFor();
    expect((await suite.server.api("/api/schedules")).data.schedules[0].status).toBe("active");
    await page.close();
  });
});
