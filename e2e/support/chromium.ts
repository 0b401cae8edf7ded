import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { chromium, type Browser } from "playwright-core";

const INSTALL_HINT =
  "Chromium is required for the e2e tests. Install it with `apt-get update && apt-get install -y chromium` " +
  "or set CHROMIUM_PATH to a Chromium/Chrome binary.";

/**
 * The Chromium binary: CHROMIUM_PATH, else `chromium` (or chromium-browser) on PATH.
 * @throws Error with the install hint when none is found (the e2e step fails, never skips).
 */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist. ${INSTALL_HINT}`);
    return fromEnv;
  }
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      const found = execFileSync("which", [name], { encoding: "utf8" }).trim();
      if (found) return found;
    } catch {
      // try the next name
    }
  }
  throw new Error(INSTALL_HINT);
}

/** Headless Chromium with the flags this sandbox needs (root, no GPU, no network chatter). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}
