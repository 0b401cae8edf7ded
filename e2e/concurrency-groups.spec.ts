/**
 * Concurrency groups end to end (issue 12 item 4, "a group cap holding two schedules apart"):
 * the production server, headless Chromium. Two per-second schedules are put in group
 * "repo-foo" through the schedule sheet, whose group control sets the group's cap to 1; a
 * third schedule outside the group runs beside them. The runs (scripted agent, ≈ 1 s each)
 * of the two grouped schedules never overlap, while both get runs and the outsider overlaps
 * them. The runtimes page says which runners can run each runtime.
 */
import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { makeScriptedRuntime, newPage, screenshot } from "./support/dashboard";
import { useServerAndBrowser } from "./support/suite";
import { waitFor } from "./support/wait";

const SHOTS = "/work/wt/shots/claim";

async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  if (fs.existsSync(path.dirname(SHOTS))) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }
}

interface TaskRow {
  scheduleId: string;
  status: string;
  slotClaimedAt: string | null;
  finishedAt: string | null;
}

describe("concurrency groups (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser();

  async function createInSheet(page: Page, name: string, group: string | null, setCap: boolean): Promise<void> {
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill(name);
    await sheet.getByLabel("Prompt").fill(`Work on the repository (${name}).`);
    await sheet.getByRole("tab", { name: "Cron" }).click();
    await sheet.getByLabel("Schedule", { exact: true }).fill("* * * * * *");
    if (group) {
      await sheet.getByTestId("concurrency-group-input").fill(group);
      const cap = sheet.getByTestId("concurrency-group-cap");
      if (setCap) {
        await cap.getByText("has no cap yet").waitFor();
        await cap.getByTestId("concurrency-group-cap-input").fill("1");
        await cap.getByTestId("concurrency-group-cap-save").click();
        await cap.getByText("At most 1 at once").waitFor();
        await shot(page, "schedule-sheet-concurrency-group");
      } else {
        await cap.getByText("At most 1 at once").waitFor();
      }
    }
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    // Per-second schedules collide with each other: the saved sheet stays open with the
    // collision banner until "Keep" (the time stays as it is).
    const keep = sheet.getByTestId("collision-banner").getByRole("button", { name: "Keep" });
    await Promise.race([sheet.waitFor({ state: "detached" }), keep.waitFor().then(() => keep.click()).catch(() => {})]);
    await sheet.waitFor({ state: "detached" });
  }

  it("a group cap of 1 holds two per-second schedules apart; a schedule outside the group runs beside them", { timeout: 120_000 }, async () => {
    await makeScriptedRuntime(suite.server, "Scripted agent", ["--turns", "1", "--delay-ms", "900"], { isDefault: true });
    await suite.server.api("/api/settings", { method: "PATCH", json: { maxConcurrent: 5 } });
    const page = await newPage(suite.browser);
    await createInSheet(page, "Repo foo A", "repo-foo", true);
    await createInSheet(page, "Repo foo B", "repo-foo", false);
    await createInSheet(page, "Elsewhere", null, false);

    const { data } = await suite.server.api("/api/schedules");
    const byName = Object.fromEntries(data.schedules.map((s: { name: string; id: string; concurrencyGroup: string | null }) => [s.name, s]));
    expect(byName["Repo foo A"].concurrencyGroup).toBe("repo-foo");
    expect(byName["Repo foo B"].concurrencyGroup).toBe("repo-foo");
    expect(byName["Elsewhere"].concurrencyGroup).toBeNull();
    const groupIds = new Set([byName["Repo foo A"].id, byName["Repo foo B"].id]);

    const tasksOf = async (): Promise<TaskRow[]> => (await suite.server.api("/api/tasks?limit=200")).data.tasks;
    // Both grouped schedules have finished runs, and the outsider too.
    await waitFor(
      tasksOf,
      (ts) => [...groupIds, byName["Elsewhere"].id].every((id) => ts.filter((t) => t.scheduleId === id && t.status === "completed").length >= 2),
      60_000,
      "two finished runs of each schedule",
    );
    for (const s of data.schedules) await suite.server.api(`/api/schedules/${s.id}`, { method: "PATCH", json: { status: "paused" } });
    const groups = (await suite.server.api("/api/concurrency-groups")).data.groups;
    expect(groups).toEqual([expect.objectContaining({ name: "repo-foo", maxConcurrent: 1, schedules: 2 })]);

    // The runs' intervals (slot claimed → finished): never two of the group at once.
    const tasks = (await tasksOf()).filter((t) => t.slotClaimedAt && t.finishedAt);
    const intervals = (ids: Set<string>) =>
      tasks.filter((t) => ids.has(t.scheduleId)).map((t) => [Date.parse(t.slotClaimedAt!), Date.parse(t.finishedAt!)] as const).sort((a, b) => a[0] - b[0]);
    const grouped = intervals(groupIds);
    expect(grouped.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < grouped.length; i++) expect(grouped[i][0]).toBeGreaterThanOrEqual(grouped[i - 1][1]);
    // The outsider did overlap a grouped run (the group cap held only the group).
    const outside = intervals(new Set([byName["Elsewhere"].id]));
    expect(outside.some(([from, to]) => grouped.some(([gf, gt]) => from < gt && gf < to))).toBe(true);
    await page.context().close();
  });

  it("the runtimes page says which runners can run each runtime; a pinned runtime with none says so", async () => {
    await suite.server.api("/api/runtimes", {
      method: "POST",
      json: { name: "GPU only", kind: "command", config: { command: ["echo", "{prompt}"], promptVia: "arg", runnerLabels: ["gpu"], maxConcurrent: 1 } },
    });
    for (const viewport of [{ width: 1400, height: 1000 }, { width: 390, height: 900 }]) {
      const page = await newPage(suite.browser, viewport);
      await page.goto(`${suite.server.baseURL}/settings`);
      const gpu = page.getByTestId("runtime-row").filter({ hasText: "GPU only" });
      await gpu.getByTestId("runtime-no-runner").waitFor();
      expect(await gpu.getByTestId("runtime-no-runner").innerText()).toContain("AGENTCRON_RUNNER_LABELS=gpu");
      const any = page.getByTestId("runtime-row").filter({ hasText: "Scripted agent" });
      expect(await any.getByTestId("runtime-eligible").innerText()).toMatch(/1 live runner: .+ \(web\)/);
      await shot(page, `settings-runtimes-runners-${viewport.width}`);
      await page.context().close();
    }
  });
});
