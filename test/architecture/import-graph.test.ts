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

describe("environment reads", () => {
  /**
   * Only src/lib/env.ts reads Agentcron's variables from process.env. The others listed
   * read the environment for another reason (env.ts header): the agents' environment, the
   * access rule shared with scripts/start.mjs, Next's NEXT_RUNTIME switch.
   */
  const ALLOWED = new Set([
    "instrumentation.ts", // NEXT_RUNTIME, inlined by Next at build time
    "src/lib/env.ts",
    "src/lib/config/access-config.mjs", // default parameter; the server passes validated values
    "src/lib/http/exposure-guard.ts", // listen host (argv + HOST) with the launcher's rule
    "src/lib/onboarding/detect.ts", // which agent keys and CLIs this machine has
    "src/lib/runtimes/agent-env.ts", // the agents' allow-listed environment
    "src/lib/runtimes/claude-agent-sdk.ts",
    "src/lib/runtimes/openai-compatible.ts",
    "src/lib/runtimes/process-table.ts",
    "src/lib/runtimes/runnable.ts", // PATH, to resolve a command the way spawn() does
    "src/lib/runtimes/spawner/client.ts", // PATH only: the spawner processes' own environment (ADR 0028)
  ]);

  it("happen only in env.ts and the documented exceptions", async () => {
    const fs = await import("node:fs");
    const files = [
      "instrumentation.ts",
      ...(fs.readdirSync(path.join(root, "src"), { recursive: true }) as string[]).map((f) => path.join("src", f)),
    ].filter((f) => /\.(ts|tsx|mjs)$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith(".d.mts"));
    const readers = files.filter((f) => /process\.env\b/.test(fs.readFileSync(path.join(root, f), "utf8")));
    expect(readers.length).toBeGreaterThan(3);
    expect(readers.filter((f) => !ALLOWED.has(f))).toEqual([]);
  });
});

describe("route handlers (issue 14 item 1: services take one {db, clock} context)", () => {
  it("never read the wall clock or open the database themselves: they use the ctx route() passes", async () => {
    const fs = await import("node:fs");
    const routes = (fs.readdirSync(path.join(root, "src/app"), { recursive: true }) as string[])
      .filter((f) => /(^|\/)route\.ts$/.test(f))
      .map((f) => path.join("src/app", f));
    expect(routes.length).toBeGreaterThan(40);
    const offenders = routes.filter((f) => /\bDate\.now\(\)|\bgetDb\(\)|\bschedulerClock\(\)/.test(fs.readFileSync(path.join(root, f), "utf8")));
    expect(offenders).toEqual([]);
    // …and at least one route does use it (the rule above can't pass vacuously).
    expect(routes.filter((f) => /ctx\.clock\.now\(\)/.test(fs.readFileSync(path.join(root, f), "utf8"))).length).toBeGreaterThan(10);
  });
});
