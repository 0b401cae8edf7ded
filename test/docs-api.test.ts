/**
 * docs/api.md keeps up with the code: every route file under src/app/api has an entry
 * (its path and each method it implements), every endpoint the doc names exists or is
 * marked "not yet built", and the error table and schedule defaults match the code.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_STATUS } from "@/lib/errors";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";

const root = path.resolve(import.meta.dirname, "..");
const apiDir = path.join(root, "src/app/api");
const doc = fs.readFileSync(path.join(root, "docs/api.md"), "utf8");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Route files → `/api/...` paths with `:param` segments, and the methods each implements (not the otherMethods 405s). */
function routeTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  for (const file of fs.readdirSync(apiDir, { recursive: true }) as string[]) {
    if (path.basename(file) !== "route.ts") continue;
    const segments = path.dirname(file).split(path.sep).filter((s) => s !== ".");
    if (segments.some((s) => s.startsWith("[["))) continue; // the catch-all 404
    const apiPath = "/api/" + segments.map((s) => s.replace(/^\[(\w+)\]$/, ":$1")).join("/");
    const source = fs.readFileSync(path.join(apiDir, file), "utf8");
    const methods = new Set(METHODS.filter((m) => new RegExp(`^export (const ${m}\\b|(async )?function ${m}\\b)`, "m").test(source)));
    table.set(apiPath, methods);
  }
  return table;
}

/** `/api/schedules/:scheduleId` and `/api/schedules/:id` are the same route. */
const shape = (p: string) => p.replace(/:\w+/g, ":");

/** The doc's paragraphs: a bullet with its continuation lines, a heading, a table row, or a text block. */
function paragraphs(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const starts = /^(\s*$|- |#|\|)/.test(line) || out.length === 0;
    if (starts) out.push(line);
    else out[out.length - 1] += "\n" + line;
  }
  return out;
}

describe("docs/api.md", () => {
  const table = routeTable();

  it("finds the route files", () => {
    expect(table.size).toBeGreaterThan(20);
    expect(table.get("/api/schedules/:id")).toEqual(new Set(["GET", "PATCH", "DELETE"]));
  });

  it("documents every route file: its path with each method it implements", () => {
    const missing: string[] = [];
    for (const [apiPath, methods] of table) {
      for (const method of methods) {
        const mention = new RegExp("`" + `${method} ${apiPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}` + "(?=[`?\\[ ])");
        if (!mention.test(doc)) missing.push(`${method} ${apiPath}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("names no endpoint that doesn't exist, unless it says it is not yet built", () => {
    const known = new Set([...table].flatMap(([p, ms]) => [...ms].map((m) => `${m} ${shape(p)}`)));
    const invented: string[] = [];
    for (const paragraph of paragraphs(doc)) {
      for (const m of paragraph.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/[\w\-/:]*\w)/g)) {
        const endpoint = `${m[1]} ${shape(m[2])}`;
        if (!known.has(endpoint) && !/not yet built/.test(paragraph)) invented.push(endpoint);
      }
    }
    expect(invented).toEqual([]);
  });

  it("lists exactly the error catalogue (src/lib/errors.ts) with its statuses", () => {
    const section = doc.slice(doc.indexOf("## Errors"), doc.indexOf("\n## ", doc.indexOf("## Errors") + 1));
    const rows = Object.fromEntries([...section.matchAll(/^\| `(\w+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));
    expect(rows).toEqual({ ...ERROR_STATUS });
  });

  it("lists exactly the schedule defaults (src/lib/schedules/defaults.ts)", () => {
    const section = doc.slice(doc.indexOf("### Schedule defaults"), doc.indexOf("`FiringMetric` ="));
    const rows = Object.fromEntries([...section.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], JSON.parse(m[2])]));
    expect(rows).toEqual({ ...SCHEDULE_DEFAULTS });
  });
});
