/**
 * axe-core in the page (its source injected with addScriptTag) and the width check of
 * the responsive spec. Impact "serious" and "critical" violations fail; the others are
 * reported only.
 */
import { createRequire } from "node:module";
import type { Locator, Page } from "playwright-core";

const axeSource = createRequire(__filename).resolve("axe-core/axe.min.js");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe on the page, or on `within` (e.g. an open sheet or dialog), and returns the
 * serious and critical violations with the selectors of their nodes.
 */
export async function seriousA11yViolations(page: Page, within?: Locator): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: axeSource });
  const handle = within ? await within.elementHandle() : null;
  const result = await page.evaluate(async (el) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const axe = (window as any).axe;
    const r = await axe.run(el ?? document, { resultTypes: ["violations"] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return r.violations.map((v: any) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n: any) => n.target.join(" ")) }));
  }, handle);
  return (result as AxeViolation[]).filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Document width in CSS pixels (a page wider than the viewport scrolls sideways). */
export function documentWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

/** The elements sticking out past the right edge of a `width`-px viewport, for failure messages. */
export function overflowingElements(page: Page, width: number): Promise<string[]> {
  return page.evaluate((w) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 1 && r.width > 0) {
        const id = el.getAttribute("data-testid") ?? el.getAttribute("data-slot") ?? "";
        out.push(`${el.tagName.toLowerCase()}${id ? `[${id}]` : ""}.${String(el.className).slice(0, 60)} right=${Math.round(r.right)}`);
      }
      if (out.length >= 8) break;
    }
    return out;
  }, width);
}
