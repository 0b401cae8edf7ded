/**
 * Helpers shared by the dashboard specs: a UTC browser context, radix Select picking,
 * screenshots into e2e/.artifacts (gitignored) and scripted-agent runtimes.
 * Condition waits live in ./wait.
 */
import fs from "node:fs";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import type { TestServer } from "./server";

export const ARTIFACTS = path.resolve(__dirname, "../.artifacts");

const pageErrors = new WeakMap<Page, string[]>();

/**
 * A page in a fresh context pinned to UTC and a desktop viewport (or `viewport`), so
 * datetime-local inputs round-trip predictably. Uncaught errors, console errors and 404s
 * for non-API URLs are collected for `screenshot()` to check (HTTP error statuses the UI
 * handles, like a 429, are not errors).
 */
export async function newPage(browser: Browser, viewport: { width: number; height: number } = { width: 1400, height: 1000 }): Promise<Page> {
  const context = await browser.newContext({ timezoneId: "UTC", viewport, locale: "en-GB" });
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) errors.push(`console: ${msg.text()}`);
  });
  // A missing static file (favicon, image, script) is an error; API answers the UI handles are not.
  page.on("response", (res) => {
    if (res.status() === 404 && !new URL(res.url()).pathname.startsWith("/api/")) errors.push(`404: ${res.url()}`);
  });
  return page;
}

/** The errors `newPage` collected so far (uncaught errors, console errors, static 404s). */
export function pageErrorsOf(page: Page): string[] {
  return [...(pageErrors.get(page) ?? [])];
}

/** Opens a radix Select by its trigger and picks the option whose text matches. */
export async function pick(page: Page, trigger: Locator, option: string | RegExp): Promise<void> {
  await trigger.click();
  await page.getByRole("option", { name: option }).click();
}

/**
 * Full-page PNG at e2e/.artifacts/<name>.png.
 *
 * A capture that fails is tried once more: Chromium's full-page capture (the viewport
 * stretched to the page, then one compositor frame) now and then stalls or errors on a
 * loaded machine (CI, 2026-12-04: a 390 px shot right after a resize; known upstream, e.g.
 * microsoft/playwright#27893). The page is not reloaded or changed in between, so a retry
 * can't hide a page that is wrong, only a capture that stalled.
 * @throws when the page logged an uncaught error or a console error so far, or both captures fail.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const errors = pageErrors.get(page) ?? [];
  if (errors.length) throw new Error(`page errors before screenshot "${name}":\n${errors.join("\n")}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  try {
    await page.screenshot({ path: file, fullPage: true, timeout: 20_000 });
  } catch (err) {
    console.warn(`[e2e] screenshot "${name}" failed once; capturing again: ${(err as Error).message.split("\n")[0]}`);
    await page.screenshot({ path: file, fullPage: true, timeout: 30_000 });
  }
  return file;
}

/** Path of the scripted CLI agent fixture (test/fixtures/scripted-agent.mjs). */
export const SCRIPTED_AGENT = path.resolve(__dirname, "../../test/fixtures/scripted-agent.mjs");

/**
 * Creates a `command` runtime running the scripted agent (under this Node, process.execPath)
 * with `args`, in claude-stream-json output unless `format` says otherwise; `isDefault` makes
 * it the default runtime.
 */
export async function makeScriptedRuntime(
  server: TestServer,
  name: string,
  args: string[],
  { format = "claude-stream-json", isDefault }: { format?: string; isDefault?: boolean } = {},
) {
  const res = await server.api("/api/runtimes", {
    method: "POST",
    json: {
      name,
      kind: "command",
      ...(isDefault !== undefined ? { isDefault } : {}),
      config: { command: [process.execPath, SCRIPTED_AGENT, "--format", format, ...args], promptVia: "stdin", outputFormat: format },
    },
  });
  if (res.status !== 201) throw new Error(`runtime create failed: ${res.status} ${JSON.stringify(res.data)}`);
  return res.data.runtime as { id: string; name: string };
}
