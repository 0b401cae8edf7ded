import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { seriousA11yViolations } from "./support/a11y";
import { makeScriptedRuntime, newPage, SCRIPTED_AGENT, screenshot } from "./support/dashboard";
import { useServerAndBrowser } from "./support/suite";

async function phoneShot(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, name);
  await page.setViewportSize({ width: 1400, height: 1000 });
}

const isFocused = (page: Page, testIdOrLabel: ReturnType<Page["getByLabel"]>) => testIdOrLabel.evaluate((el) => el === document.activeElement);

describe("schedule sheet and runtime dialog forms (production server, headless Chromium)", () => {
  const suite = useServerAndBrowser();

  it("validates on the client before any request and focuses the first invalid field; the server's runnable-runtime rule shows under Runtime", async () => {
    const page = await newPage(suite.browser);
    const posts: string[] = [];
    page.on("request", (r) => r.method() === "POST" && r.url().endsWith("/api/schedules") && posts.push(r.url()));
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Prompt").fill("p");
    await sheet.getByLabel("Max turns per run").fill("0");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.getByTestId("error-name").getByText("must not be empty").waitFor();
    expect(await sheet.getByTestId("error-schedule").innerText()).toBe("must not be empty");
    expect(await sheet.getByTestId("error-maxTurns").innerText()).toBe("must be between 1 and 10000");
    expect(await isFocused(page, sheet.getByLabel("Name", { exact: true }))).toBe(true);
    expect(await sheet.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(posts).toEqual([]);
    await screenshot(page, "forms-sheet-client-errors-1400");

    // Valid input, but no runtime exists: the server refuses an active schedule (fields.runtimeId).
    await sheet.getByLabel("Name", { exact: true }).fill("No runtime yet");
    await sheet.getByLabel("Schedule", { exact: true }).fill("every 15 minutes");
    await sheet.getByLabel("Max turns per run").fill("");
    await sheet.getByTestId("no-runtime-hint").waitFor();
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    await sheet.getByTestId("error-runtimeId").getByText(/no runtime to run it/).waitFor();
    expect(posts).toHaveLength(1);
    expect(await isFocused(page, sheet.getByTestId("runtime-select"))).toBe(true);
    expect((await suite.server.api("/api/schedules")).data.schedules).toEqual([]);
    await page.context().close();
  });

  it("asks before discarding unsaved changes, and returns focus to the button that opened the sheet", async () => {
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    const opener = page.getByRole("button", { name: "New schedule" }).first();
    await opener.click();
    const sheet = page.getByTestId("schedule-sheet");
    // Untouched: Esc closes at once, focus back on the opener.
    await sheet.getByLabel("Name", { exact: true }).waitFor();
    await page.keyboard.press("Escape");
    await sheet.waitFor({ state: "detached" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);

    await opener.click();
    await sheet.getByLabel("Name", { exact: true }).fill("Half-typed");
    await page.keyboard.press("Escape");
    const confirm = page.getByTestId("discard-dialog");
    await confirm.getByText("Discard unsaved changes?").waitFor();
    await screenshot(page, "forms-sheet-unsaved-guard-1400");
    await confirm.getByRole("button", { name: "Keep editing" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await sheet.getByLabel("Name", { exact: true }).inputValue()).toBe("Half-typed");
    await sheet.getByRole("button", { name: "Cancel" }).click();
    await confirm.getByRole("button", { name: "Discard changes" }).click();
    await sheet.waitFor({ state: "detached" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await suite.server.api("/api/schedules")).data.schedules).toEqual([]);
    await page.context().close();
  });

  it("shows each part of the sheet (desktop and phone); Plain words / Cron tabs control real panels", async () => {
    await makeScriptedRuntime(suite.server, "Default scripted agent", ["--turns", "1"], { isDefault: true });
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Looks");
    await sheet.getByLabel("Schedule", { exact: true }).fill("daily at 18:30");
    await sheet.getByTestId("preview-next").waitFor();
    for (const tab of ["Plain words", "Cron"]) {
      const controls = await sheet.getByRole("tab", { name: tab }).getAttribute("aria-controls");
      expect(await page.locator(`[id="${controls}"][role=tabpanel]`).count()).toBe(1);
    }
    await screenshot(page, "forms-sheet-task-when-1400");
    await sheet.getByTestId("sheet-agent").scrollIntoViewIfNeeded();
    await sheet.getByRole("button", { name: /^Advanced/ }).click();
    await sheet.getByLabel("Overlap policy").waitFor();
    await sheet.getByTestId("sheet-advanced").scrollIntoViewIfNeeded();
    await screenshot(page, "forms-sheet-advanced-1400");
    await phoneShot(page, "forms-sheet-390");
    await page.context().close();
  });

  it("\"Use HH:MM\" in the collision banner saves the suggested free minute", async () => {
    await suite.server.api("/api/schedules", { method: "POST", json: { name: "Big nightly", prompt: "p", cronExpression: "0 9 * * *", timezone: "UTC", maxTurns: 2500 } });
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/schedules`);
    await page.getByRole("button", { name: "New schedule" }).first().click();
    const sheet = page.getByTestId("schedule-sheet");
    await sheet.getByLabel("Name", { exact: true }).fill("Nine o'clock too");
    await sheet.getByLabel("Prompt").fill("p");
    await sheet.getByRole("tab", { name: "Cron" }).click();
    await sheet.getByLabel("Schedule", { exact: true }).fill("0 9 * * *");
    await sheet.getByLabel("Max turns per run").fill("900");
    await sheet.getByRole("button", { name: "Create schedule" }).click();
    const banner = sheet.getByTestId("collision-banner");
    await banner.waitFor();
    expect(await banner.evaluate((el) => el === document.activeElement)).toBe(true);
    const use = banner.getByRole("button", { name: /^Use \d\d:\d\d$/ });
    const [hh, mm] = (await use.innerText()).replace("Use ", "").split(":").map(Number);
    await screenshot(page, "forms-sheet-collision-1400");
    await use.click();
    await sheet.waitFor({ state: "detached" });
    const saved = (await suite.server.api("/api/schedules")).data.schedules.filter((s: { name: string }) => s.name === "Nine o'clock too");
    expect(saved).toHaveLength(1);
    expect(saved[0].cronExpression).toBe(`${mm} ${hh} * * *`);
    await page.context().close();
  });

  it("splits a pasted command line into argv, shows it, and refuses a missing executable under the field", async () => {
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/settings`);
    await page.getByRole("button", { name: "New runtime" }).click();
    const dialog = page.getByTestId("runtime-dialog");
    await dialog.getByLabel("Name", { exact: true }).fill("Pasted line");
    const line = dialog.getByLabel("Command line");
    await line.fill("node agent.mjs --turns 4");
    const preview = dialog.getByTestId("argv-preview");
    await preview.getByText("with 3 arguments").waitFor();
    expect(await preview.getByTestId("argv-item").allInnerTexts()).toEqual(["node", "agent.mjs", "--turns", "4"]);
    await screenshot(page, "forms-runtime-dialog-1400");
    await phoneShot(page, "forms-runtime-dialog-390");

    await line.fill(`no-such-agent-cli --prompt "{prompt}" --turns 4`);
    expect(await preview.getByTestId("argv-item").allInnerTexts()).toEqual(["no-such-agent-cli", "--prompt", "{prompt}", "--turns", "4"]);
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.getByText(/names "no-such-agent-cli", which is not found on the server's PATH/).waitFor();
    expect(await line.getAttribute("aria-invalid")).toBe("true");
    await screenshot(page, "forms-runtime-dialog-error-1400");
    expect((await suite.server.api("/api/runtimes")).data.runtimes.map((r: { name: string }) => r.name)).not.toContain("Pasted line");

    await line.fill(`'${process.execPath}' ${SCRIPTED_AGENT} --format claude-stream-json --turns 4`);
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.waitFor({ state: "detached" });
    const created = (await suite.server.api("/api/runtimes")).data.runtimes.find((r: { name: string }) => r.name === "Pasted line");
    expect(created.config.command).toEqual([process.execPath, SCRIPTED_AGENT, "--format", "claude-stream-json", "--turns", "4"]);

    // Test runtime: a healthy four-turn agent "responded" (not a red max_turns).
    await page.getByTestId("runtime-row").filter({ hasText: "Pasted line" }).getByRole("button", { name: "Test runtime" }).click();
    const result = page.getByTestId("runtime-test-result");
    await result.getByTestId("runtime-test-verdict").getByText("responded").waitFor({ timeout: 30_000 });
    await page.context().close();
  });
  it("runtime dialog: client-side errors before any request with focus on the first; a literal secret is refused by the server under Environment", async () => {
    const page = await newPage(suite.browser);
    const posts: string[] = [];
    page.on("request", (r) => r.method() === "POST" && r.url().endsWith("/api/runtimes") && posts.push(r.url()));
    await page.goto(`${suite.server.baseURL}/settings`);
    await page.getByRole("button", { name: "New runtime" }).click();
    const dialog = page.getByTestId("runtime-dialog");
    const name = dialog.getByLabel("Name", { exact: true });
    await name.waitFor();
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.getByTestId("error-name").getByText("is required").waitFor();
    expect(await dialog.getByTestId("error-command").innerText()).toBe("must name the executable");
    expect(await isFocused(page, name)).toBe(true);
    expect(await name.getAttribute("aria-invalid")).toBe("true");

    // A line that needs a shell is refused on the client too, under the command line.
    await name.fill("Leaky");
    const line = dialog.getByLabel("Command line");
    await line.fill("node agent.mjs | tee out.log");
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.getByTestId("error-command").getByText(/"\|" needs a shell/).waitFor();
    // Said once, under the field; the argv preview doesn't repeat it.
    expect(await dialog.getByText(/needs a shell/).count()).toBe(1);
    expect(await isFocused(page, line)).toBe(true);
    expect(await dialog.getByTestId("error-name").count()).toBe(0);
    expect(posts).toEqual([]);
    await screenshot(page, "forms-runtime-dialog-client-errors-1400");

    // A literal key in the environment: only the server scans for secrets (400 fields config.env.OPENAI_API_KEY).
    await line.fill(`'${process.execPath}' ${SCRIPTED_AGENT}`);
    const env = dialog.getByLabel("Environment (NAME=value per line)");
    await env.fill("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789");
    await dialog.getByRole("button", { name: "Create runtime" }).click();
    await dialog.getByTestId("error-env").getByText(/secrets are not stored/).waitFor();
    expect(posts).toHaveLength(1);
    expect(await env.getAttribute("aria-invalid")).toBe("true");
    expect(await isFocused(page, env)).toBe(true);
    expect(await dialog.getByTestId("error-command").count()).toBe(0);
    await screenshot(page, "forms-runtime-dialog-secret-1400");
    expect(await seriousA11yViolations(page, dialog)).toEqual([]);
    expect((await suite.server.api("/api/runtimes")).data.runtimes.map((r: { name: string }) => r.name)).not.toContain("Leaky");
    await page.context().close();
  });

  it("runtime dialog: asks before discarding unsaved changes and returns focus to its opener; each kind's fields (desktop and phone)", async () => {
    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/settings`);
    const opener = page.getByRole("button", { name: "New runtime" });
    await opener.click();
    const dialog = page.getByTestId("runtime-dialog");
    await dialog.getByLabel("Name", { exact: true }).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);

    await opener.click();
    await dialog.getByLabel("Name", { exact: true }).fill("Half-typed");
    await dialog.getByTestId("runtime-kind").click();
    await page.getByRole("option", { name: "Claude Agent SDK" }).click();
    await dialog.getByLabel("Permission mode").waitFor();
    await screenshot(page, "forms-runtime-dialog-claude-1400");
    expect(await seriousA11yViolations(page, dialog)).toEqual([]);
    await phoneShot(page, "forms-runtime-dialog-claude-390");
    await page.keyboard.press("Escape");
    const confirm = page.getByTestId("discard-dialog");
    await confirm.getByText("Discard unsaved changes?").waitFor();
    await confirm.getByRole("button", { name: "Keep editing" }).click();
    await confirm.waitFor({ state: "detached" });
    expect(await dialog.getByLabel("Name", { exact: true }).inputValue()).toBe("Half-typed");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await confirm.getByRole("button", { name: "Discard changes" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await suite.server.api("/api/runtimes")).data.runtimes.map((r: { name: string }) => r.name)).not.toContain("Half-typed");
    await page.context().close();
  });

  it("runtime dialog: editing keeps allowShell and the config keys the form doesn't edit", async () => {
    const local = await suite.server.api("/api/runtimes", {
      method: "POST",
      json: { name: "Local model", kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1", allowShell: true, cwd: "/tmp" } },
    });
    expect(local.status).toBe(201);
    const resumeCommand = [process.execPath, SCRIPTED_AGENT, "--resume", "{sessionId}"];
    const resumable = await suite.server.api("/api/runtimes", {
      method: "POST",
      json: { name: "Resumable", kind: "command", config: { command: [process.execPath, SCRIPTED_AGENT], outputFormat: "claude-stream-json", resumeCommand } },
    });
    expect(resumable.status).toBe(201);

    const page = await newPage(suite.browser);
    await page.goto(`${suite.server.baseURL}/settings`);
    const dialog = page.getByTestId("runtime-dialog");
    await page.getByTestId("runtime-row").filter({ hasText: "Local model" }).getByRole("button", { name: "Edit" }).click();
    const shell = dialog.getByLabel("Let the model run shell commands (run_shell tool)");
    expect(await shell.getAttribute("aria-checked")).toBe("true");
    await dialog.getByLabel("Model", { exact: true }).fill("qwen2.5");
    await screenshot(page, "forms-runtime-dialog-openai-1400");
    expect(await seriousA11yViolations(page, dialog)).toEqual([]);
    await phoneShot(page, "forms-runtime-dialog-openai-390");
    await dialog.getByRole("button", { name: "Save runtime" }).click();
    await dialog.waitFor({ state: "detached" });
    const runtimes = (await suite.server.api("/api/runtimes")).data.runtimes as { name: string; config: Record<string, unknown> }[];
    expect(runtimes.find((r) => r.name === "Local model")?.config).toEqual({ baseUrl: "http://127.0.0.1:11434/v1", model: "qwen2.5", allowShell: true, cwd: "/tmp" });

    await page.getByTestId("runtime-row").filter({ hasText: "Resumable" }).getByRole("button", { name: "Edit" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill("Resumable agent");
    await dialog.getByRole("button", { name: "Save runtime" }).click();
    await dialog.waitFor({ state: "detached" });
    const after = ((await suite.server.api("/api/runtimes")).data.runtimes as { name: string; config: Record<string, unknown> }[]).find((r) => r.name === "Resumable agent");
    expect(after?.config).toEqual({ command: [process.execPath, SCRIPTED_AGENT], promptVia: "stdin", outputFormat: "claude-stream-json", resumeCommand });
    await page.context().close();
  });
});
