import { launchChromium } from "../e2e/support/chromium";
import { startServer } from "../e2e/support/server";

async function main() {
  const server = await startServer({ env: { AGENTCRON_RUNNER_CAPACITY: "4", AGENTCRON_RUNNER_LABELS: "gpu,repo-foo" } });
  try {
    await server.api("/api/runtimes", { method: "POST", json: { name: "echo", kind: "command", config: { command: ["/bin/echo"] } } });
    const browser = await launchChromium();
    for (const [w, h] of [[1400, 900], [390, 844]]) {
      const page = await browser.newPage({ viewport: { width: w, height: h } });
      await page.goto(`${server.baseURL}/settings`);
      await page.getByRole("list", { name: "Runners" }).waitFor();
      await page.getByRole("heading", { name: "Runners" }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: `/tmp/runners-${w}.png`, fullPage: true });
      await page.close();
    }
    await browser.close();
  } finally {
    await server.stop();
  }
}
void main();
