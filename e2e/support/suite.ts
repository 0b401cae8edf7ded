/**
 * The production server and headless Chromium one e2e describe block runs against — the
 * start/stop block every browser spec used to repeat (duplicates D2–D11).
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchChromium } from "./chromium";
import { startServer, type TestServer } from "./server";

/** What a suite's tests use; both fields throw if read before beforeAll has run. */
export interface ServerAndBrowser {
  readonly server: TestServer;
  readonly browser: Browser;
}

/**
 * Registers beforeAll/afterAll in the calling describe block: starts the server
 * (`startServer(options)`), launches Chromium, then runs `setup` (e.g. a default runtime);
 * afterAll closes the browser and stops the server, whatever failed before. Read
 * `suite.server` / `suite.browser` inside hooks and tests, not at describe time.
 */
export function useServerAndBrowser(options: Parameters<typeof startServer>[0] = {}, setup?: (suite: ServerAndBrowser) => Promise<void>): ServerAndBrowser {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  const suite: ServerAndBrowser = {
    get server() {
      if (!server) throw new Error("the e2e server is not started yet (read suite.server inside a hook or test)");
      return server;
    },
    get browser() {
      if (!browser) throw new Error("Chromium is not launched yet (read suite.browser inside a hook or test)");
      return browser;
    },
  };
  beforeAll(async () => {
    server = await startServer(options);
    browser = await launchChromium();
    await setup?.(suite);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return suite;
}
