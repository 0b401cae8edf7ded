/**
 * The shape of the module graph under src/lib, read by madge (type-only imports count:
 * a type cycle still couples the modules and breaks isolated compilation order).
 * - no import cycle anywhere in src/lib;
 * - src/lib/api-types.ts is a leaf: it imports only modules that import nothing;
 * - domain code does not import HTTP code: nothing in src/lib outside http/ imports a
 *   module under src/lib/http/ (errors map to responses in route(), validation lives in
 *   validation.ts). eslint.config.mjs has the same rule for editors.
 */
import path from "node:path";
import madge from "madge";
import { beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
let graph: Record<string, string[]>;
let circular: string[][];

beforeAll(async () => {
  const tree = await madge(path.join(root, "src/lib"), {
    baseDir: path.join(root, "src/lib"),
    fileExtensions: ["ts", "tsx", "mts", "mjs"],
    excludeRegExp: [/\.test\.tsx?$/, /\.d\.mts$/],
    tsConfig: path.join(root, "tsconfig.json"),
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  });
  graph = tree.obj();
  circular = tree.circular();
}, 60_000);

describe("src/lib import graph", () => {
  it("reads the whole tree (madge resolved the modules)", () => {
    expect(Object.keys(graph).length).toBeGreaterThan(50);
    expect(graph["api-types.ts"]).toBeDefined();
    expect(graph["schedules/service.ts"]).toContain("api-types.ts");
  });

  it("has no import cycle", () => {
    expect(circular.map((c) => c.join(" → "))).toEqual([]);
  });

  it("keeps api-types.ts a leaf: its imports import nothing", () => {
    for (const dep of graph["api-types.ts"]) {
      expect(graph[dep], `${dep} (imported by api-types.ts)`).toEqual([]);
    }
  });

  it("keeps domain code free of HTTP: nothing outside src/lib/http imports from it", () => {
    const offenders = Object.entries(graph)
      // Keys starting with ../ are outside src/lib (route files reached through test helpers).
      .filter(([file]) => !file.startsWith("http/") && !file.startsWith("../"))
      .flatMap(([file, deps]) => deps.filter((d) => d.startsWith("http/")).map((d) => `${file} → ${d}`));
    expect(offenders).toEqual([]);
    // The graph does see imports into http/ (from http/ itself), so the check can fire.
    expect(graph["http/route.ts"]).toContain("http/access.ts");
  });
});
