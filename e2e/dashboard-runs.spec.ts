import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./support/chromium";
import { makeScriptedRuntime, newPage, pick, screenshot } from "./support/dashboard";
import { startServer, type TestServer } from "./support/server";
import { isRunning, waitFor } from "./support/wait";

interface Task {
  id: string;
  attempt: number;
  parentTaskId: string | null;
  scheduleId: string | null;
  status: string;
  forced: boolean;
  sourceType: string;
  turnCount: number;
  maxTurns: number;
  failureReason: string | null;
}

describe("Run now, live task page, cancel and rerun at cap 1 (production server, headless Chromium)", () => {
  let server: TestServer;
  let browser: Browser;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-dash-e2e-"));

  beforeAll(async () => {
    // Retries after 1 s, so a lease_expired run is retried within the test.
    server = await startServer({ env: { SCHEDULE_MAX_CONCURRENT: "1", AGENTCRON_RETRY_BACKOFF_SEC: "1" } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    // Leave no agent behind: cancel whatever a failed test left running before stopping.
    if (server) await cancelAllRunning().catch(() => undefined);
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const tasksOf = async (scheduleId: string): Promise<Task[]> => (await server.api(`/api/schedules/${scheduleId}/tasks`)).data.tasks;
  const makeSchedule = async (name: string, runtimeId: string, maxTurns = 10) => {
    const res = await server.api("/api/schedules", {
      method: "POST",
      // Far-off cron: only Run now starts these.
      json: { name, prompt: `Prompt of ${name}`, cronExpression: "0 3 1 1 *", timezone: "UTC", runtimeId, maxTurns },
    });
    expect(res.status).toBe(201);
    return res.data.schedule as { id: string };
  };
  /** Cancels whatever still runs, so the next test starts with a free slot. */
  const cancelAllRunning = async () => {
    const { data } = await server.api("/api/tasks?status=running");
    for (const t of data.tasks as Task[]) await server.api(`/api/tasks/${t.id}/cancel`, { method: "POST" });
    await waitFor(() => server.api("/api/scheduler/status"), (r) => r.data.running === 0, 15_000, "no running tasks");
  };

  it("Run now twice at cap 1 → capacity dialog → Run anyway → two running tasks and a manual_force_bypass event", async () => {
    const runtime = await makeScriptedRuntime(server, "hangs", ["--hang"]);
    const schedule = await makeSchedule("Capacity check", runtime.id);
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules`);
    const row = page.getByTestId("schedule-row").filter({ hasText: "Capacity check" });
    const runNow = row.getByRole("button", { name: "Run now" });

    // A double click is one run.
    await runNow.dblclick();
    const first = await waitFor(() => tasksOf(schedule.id), (t) => t.length >= 1 && t[0].status === "running", 15_000, "first task running");
    expect(first).toHaveLength(1);

    await row.getByRole("button", { name: "Run now" }).click();
    const dialog = page.getByTestId("capacity-dialog");
    await dialog.waitFor();
    const title = await dialog.getByRole("heading").innerText();
    expect(title).toMatch(/^At capacity \(1\/1\)\. (Next slot in ~\d+ s|No slot estimate yet)$/);
    await screenshot(page, "capacity-dialog");
    expect(await tasksOf(schedule.id)).toHaveLength(1);

    await dialog.getByRole("button", { name: "Run anyway" }).click();
    await dialog.waitFor({ state: "detached" });
    const both = await waitFor(() => tasksOf(schedule.id), (t) => t.length === 2 && t.every((x) => x.status === "running"), 15_000, "two running");
    expect(both.filter((t) => t.forced)).toHaveLength(1);
    const { data } = await server.api(`/api/schedules/${schedule.id}/events`);
    expect(data.events.map((e: { kind: string }) => e.kind)).toContain("manual_force_bypass");

    // The dashboard shows it: 2 running against a cap of 1, and the schedule's page lists the forced run and the event.
    await page.goto(`${server.baseURL}/`);
    await waitFor(() => page.getByTestId("capacity").innerText().catch(() => ""), (t) => t === "2 / 1", 10_000, "capacity 2 / 1");
    await page.getByTestId("durations-chart").or(page.getByText("No runs yet.")).first().waitFor();
    await screenshot(page, "dashboard-at-capacity");
    await page.goto(`${server.baseURL}/schedules/${schedule.id}`);
    await page.locator('[data-kind="manual_force_bypass"]').waitFor();
    await page.getByTestId("history-row").nth(1).waitFor();
    expect(await page.getByText("forced", { exact: true }).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, "schedule-detail-forced");
    await page.context().close();
    await cancelAllRunning();
  });

  it("watches a live task stream to completion", async () => {
    // 1.5 s per turn: the page (loaded on a busy CI box) must catch the run mid-way, and the
    // task row now refreshes on the stream's result event, not a second later.
    const runtime = await makeScriptedRuntime(server, "three turns", ["--turns", "3", "--delay-ms", "1500"]);
    const schedule = await makeSchedule("Live stream", runtime.id, 10);
    const started = await server.api(`/api/schedules/${schedule.id}/execute`, { method: "POST" });
    expect(started.status).toBe(202);
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/tasks/${started.data.taskId}`);
    // Live: a first turn shows while the task is still running.
    await page.getByTestId("event-assistant").first().waitFor();
    expect(await page.getByTestId("stream-state").innerText()).toBe("● live");
    expect(await page.getByTestId("task-status").innerText()).toBe("running");
    await screenshot(page, "task-live");
    await waitFor(() => page.getByTestId("stream-state").innerText(), (s) => s === "ended", 30_000, "stream end");
    await waitFor(() => page.getByTestId("task-status").innerText(), (s) => s === "completed", 10_000, "completed badge");
    expect(await page.getByTestId("event-assistant").count()).toBe(3);
    expect(await page.getByTestId("event-tool-call").count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId("turns").innerText()).toBe("3 / 10");
    expect(await page.getByTestId("attempt").innerText()).toMatch(/^1 of \d+$/);
    expect(await page.getByTestId("session").innerText()).not.toBe("—");
    await screenshot(page, "task-completed");
    await page.context().close();
  });

  it("cancels a running task from its page and leaves no process behind", async () => {
    const pidFile = path.join(tmp, "pids.txt");
    const runtime = await makeScriptedRuntime(server, "hangs with children", ["--hang", "--children", "2", "--pid-file", pidFile]);
    const schedule = await makeSchedule("Cancel me", runtime.id);
    const started = await server.api(`/api/schedules/${schedule.id}/execute`, { method: "POST" });
    expect(started.status).toBe(202);
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/tasks/${started.data.taskId}`);
    // The agent prints "hanging" on stderr after its first turn and then waits forever.
    await page.getByTestId("event-stderr").filter({ hasText: "hanging" }).waitFor();
    const pids = await waitFor(
      async () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").split("\n").filter(Boolean).map(Number) : []),
      (p) => p.length >= 5,
      10_000,
      "agent + 2 children + 2 grandchildren pids",
    );
    expect(pids.every(isRunning)).toBe(true);
    expect(await page.getByTestId("lease").innerText()).toMatch(/left$/);
    await page.getByRole("button", { name: "Cancel" }).click();
    // A confirmation first: nothing is cancelled until "Cancel run".
    const confirm = page.getByTestId("cancel-dialog");
    await confirm.waitFor();
    expect((await server.api(`/api/tasks/${started.data.taskId}`)).data.task.status).toBe("running");
    await confirm.getByRole("button", { name: "Cancel run" }).click();
    await waitFor(() => page.getByTestId("task-status").innerText(), (s) => s === "cancelled", 15_000, "cancelled badge");
    await waitFor(async () => pids.filter(isRunning), (left) => left.length === 0, 10_000, "process tree gone");
    expect((await server.api(`/api/tasks/${started.data.taskId}`)).data.task.status).toBe("cancelled");
    expect(await page.getByRole("button", { name: "Cancel" }).count()).toBe(0);
    await page.context().close();
  });

  it("reruns a failed task with the same prompt", async () => {
    const runtime = await makeScriptedRuntime(server, "crashes", ["--crash"]);
    const schedule = await makeSchedule("Fails once", runtime.id);
    const started = await server.api(`/api/schedules/${schedule.id}/execute`, { method: "POST" });
    expect(started.status).toBe(202);
    await waitFor(() => server.api(`/api/tasks/${started.data.taskId}`), (r) => r.data.task.status === "failed", 20_000, "failed task");
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/tasks/${started.data.taskId}`);
    await page.getByTestId("task-failure").waitFor();
    await screenshot(page, "task-failed");
    await page.getByRole("button", { name: "Rerun" }).click();
    await page.getByRole("button", { name: "Open" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/tasks/") && !url.pathname.endsWith(started.data.taskId));
    const newId = page.url().split("/tasks/")[1];
    const rerun = (await server.api(`/api/tasks/${newId}`)).data.task;
    expect(rerun.id).not.toBe(started.data.taskId);
    expect(rerun.sourceType).toBe("manual");
    expect(rerun.scheduleId).toBe(schedule.id);
    const all = await tasksOf(schedule.id);
    expect(all.map((t) => t.id).sort()).toEqual([started.data.taskId, newId].sort());
    await waitFor(() => page.getByTestId("task-status").innerText(), (s) => s === "failed", 20_000, "rerun ran");

    // The tasks list filters by status and schedule.
    await page.goto(`${server.baseURL}/tasks?status=failed&scheduleId=${schedule.id}`);
    await page.getByTestId("task-row").nth(1).waitFor();
    const statuses = await page.getByTestId("task-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
    expect(statuses).toEqual(["failed", "failed"]);
    await screenshot(page, "tasks-list-filtered");
    await page.context().close();
  });

  it("folds the skipped occurrences of a busy schedule into one collapsible history row", async () => {
    const runtime = await makeScriptedRuntime(server, "busy", ["--hang"]);
    // Every second, overlap policy skip: while the first run hangs, each new occurrence is skipped.
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Every second", prompt: "p", cronExpression: "* * * * * *", runtimeId: runtime.id, maxTurns: 10, overlapPolicy: "skip" },
    });
    expect(created.status).toBe(201);
    const id = created.data.schedule.id;
    await waitFor(() => tasksOf(id), (t) => t.some((x) => x.status === "running") && t.filter((x) => x.status === "skipped").length >= 3, 20_000, "skips");
    expect((await server.api(`/api/schedules/${id}`, { method: "PATCH", json: { status: "paused" } })).status).toBe(200);

    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules/${id}`);
    const fold = page.getByTestId("history-fold").first();
    await fold.waitFor();
    expect(await fold.innerText()).toMatch(/^\d+ skipped occurrences? \(previous run still going\)/);
    expect(await page.getByTestId("history-row").count()).toBe(1);
    await fold.getByRole("button").click();
    await fold.getByText("Skipped: previous run still going").first().waitFor();
    await screenshot(page, "schedule-detail-skipped");
    await page.context().close();
    await cancelAllRunning();
  });

  it("nests a retry under the run it retries in the schedule's history", async () => {
    const runtime = await makeScriptedRuntime(server, "hangs past its lease", ["--hang"]);
    // Fires every second (so the loop wakes to reap), overlap skip, a 2 s lease and 2 attempts.
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Retried", prompt: "p", cronExpression: "* * * * * *", runtimeId: runtime.id, maxTurns: 10, maxRunDurationSec: 2, maxAttempts: 2 },
    });
    const id = created.data.schedule.id;
    // Lease expires → failed/lease_expired → retry (attempt 2) after 1 s → its lease expires too.
    const all = await waitFor(() => tasksOf(id), (t) => t.some((x) => x.attempt === 2 && x.status === "failed"), 30_000, "a failed retry");
    await server.api(`/api/schedules/${id}`, { method: "PATCH", json: { status: "paused" } });
    const retry = all.find((t) => t.attempt === 2)!;
    const root = all.find((t) => t.id === retry.parentTaskId)!;
    expect([root.failureReason, retry.failureReason]).toEqual(["lease_expired", "lease_expired"]);

    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules/${id}`);
    const rootRow = page.locator(`[data-testid="history-row"][data-task-id="${root.id}"]`);
    await rootRow.waitFor();
    // The retry's row comes right after its root's, in the same group.
    const nested = rootRow.locator("xpath=following-sibling::tr[1]");
    expect(await nested.getAttribute("data-testid")).toBe("history-retry");
    expect(await nested.innerText()).toContain("attempt 2");
    expect(await nested.innerText()).toContain("Lease expired");
    await screenshot(page, "schedule-detail-retry");
    await page.context().close();
    await cancelAllRunning();
  });

  it("shows the calibration hint: the median average steps of schedules on the chosen runtime", async () => {
    const runtime = await makeScriptedRuntime(server, "two turns", ["--turns", "2"]);
    await makeScriptedRuntime(server, "no history", ["--turns", "1"]);
    const created = await server.api("/api/schedules", {
      method: "POST",
      json: { name: "Calibrator", prompt: "p", cronExpression: "* * * * * *", runtimeId: runtime.id, maxTurns: 10 },
    });
    const id = created.data.schedule.id;
    // Scheduled firings (not manual runs) feed avgTurnsPerFiring.
    await waitFor(() => server.api(`/api/schedules/${id}`), (r) => r.data.schedule.avgTurnsPerFiring != null, 20_000, "a finished firing");
    await server.api(`/api/schedules/${id}`, { method: "PATCH", json: { status: "paused" } });

    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await pick(page, sheet.getByLabel("Runtime"), /^two turns/);
    await sheet.getByTestId("calibration-hint").waitFor();
    expect(await sheet.getByTestId("calibration-hint").innerText()).toBe("Schedules on this runtime average ~2 turns.");
    await pick(page, sheet.getByLabel("Runtime"), /^no history/);
    await sheet.getByTestId("calibration-hint").waitFor({ state: "detached" });
    await page.context().close();
    await cancelAllRunning();
  });

  it("settings: the env-pinned cap is locked; runtimes are created, tested, edited and deleted (409 while in use)", async () => {
    const runtime = await makeScriptedRuntime(server, "one turn", ["--turns", "1"]);
    expect(runtime.id).toBeTruthy();
    const page = await newPage(browser);
    await page.goto(`${server.baseURL}/settings`);
    await page.getByTestId("locked-maxConcurrent").waitFor();
    expect(await page.locator("#setting-maxConcurrent").isDisabled()).toBe(true);
    expect(await page.locator("#setting-chatPressureDelaySec").isDisabled()).toBe(false);
    await page.locator("#setting-chatPressureDelaySec").fill("45");
    await page.getByRole("button", { name: "Save settings" }).click();
    await waitFor(() => server.api("/api/settings"), (r) => r.data.chatPressureDelaySec === 45, 10_000, "setting saved");

    const row = page.getByTestId("runtime-row").filter({ hasText: "one turn" });
    await row.getByRole("button", { name: "Test runtime" }).click();
    const result = page.getByTestId("runtime-test-result");
    await result.waitFor();
    await result.getByText("responded", { exact: true }).waitFor();
    await screenshot(page, "settings-runtime-test");
    await page.keyboard.press("Escape");

    // Create a runtime through the dialog; a bad config shows the server's message under its field.
    await page.getByRole("button", { name: "New runtime" }).click();
    const dialog = page.getByTestId("runtime-dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("From the UI");
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.getByText("must name the executable").first().waitFor();
    await dialog.getByLabel("Command line").fill(`${process.execPath} --version`);
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("runtime-row").filter({ hasText: "From the UI" }).waitFor();
    const { data } = await server.api("/api/runtimes");
    expect(data.runtimes.find((r: { name: string }) => r.name === "From the UI").config.command).toEqual([process.execPath, "--version"]);
    await screenshot(page, "settings");

    // Edit keeps the kind-specific config; rename it.
    const uiRow = page.getByTestId("runtime-row").filter({ hasText: "From the UI" });
    await uiRow.getByRole("button", { name: "Edit" }).click();
    expect(await dialog.getByLabel("Command line").inputValue()).toBe(`${process.execPath} --version`);
    await dialog.getByLabel("Name", { exact: true }).fill("From the UI, renamed");
    await dialog.getByRole("button", { name: "Save runtime" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("runtime-row").filter({ hasText: "From the UI, renamed" }).waitFor();

    // Delete: refused while a schedule uses the runtime, done once nothing does.
    await server.api("/api/schedules", { method: "POST", json: { name: "Uses one turn", prompt: "p", cronExpression: "0 3 1 1 *", runtimeId: runtime.id } });
    await row.getByRole("button", { name: "Delete one turn" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText(/Could not delete/).waitFor();
    expect(await row.count()).toBe(1);
    const renamed = page.getByTestId("runtime-row").filter({ hasText: "From the UI, renamed" });
    await renamed.getByRole("button", { name: /^Delete/ }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await renamed.waitFor({ state: "detached" });
    expect((await server.api("/api/runtimes")).data.runtimes.some((r: { name: string }) => r.name.startsWith("From the UI"))).toBe(false);
    await page.context().close();
  });
});
