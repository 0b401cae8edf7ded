/**
 * Summarizes a V8 `.cpuprofile` (written by `node --cpu-prof`) over a time range, with the
 * production bundle's frames mapped back to their sources through the `.js.map` files next
 * to the chunks (node:module SourceMap), so `.next/server/chunks/…js:208` reads as
 * `src/lib/runtimes/task-executor.ts:98`. Used by bench/server-under-load.ts --cpu-prof.
 *
 * Self time = samples whose top frame is the function; inclusive time = samples with the
 * function anywhere on the stack (counted once per sample). Times in ms of CPU sampled.
 */
import fs from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** CPU time sampled in the range, ms (idle included). */
  sampledMs: number;
  /** Self time by area (source file for app code, package for dependencies), ms. */
  byArea: [string, number][];
  bySelf: [string, number][];
  byInclusive: [string, number][];
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/**
 * @param fromUs/toUs the range on the profile's clock (µs, monotonic: the same clock as
 *   `process.hrtime.bigint() / 1000n` in another process on this machine).
 * @param root the project root, stripped from paths.
 */
export function summarizeCpuProfile(file: string, fromUs: number, toUs: number, root: string, top = 25): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));

  const maps = new Map<string, SourceMap | null>();
  const mapFor = (url: string): SourceMap | null => {
    if (!maps.has(url)) {
      let map: SourceMap | null = null;
      try {
        const p = url.startsWith("file://") ? fileURLToPath(url) : url;
        if (p.includes("/.next/") && fs.existsSync(`${p}.map`)) map = new SourceMap(JSON.parse(fs.readFileSync(`${p}.map`, "utf8")));
      } catch {
        map = null;
      }
      maps.set(url, map);
    }
    return maps.get(url)!;
  };

  const tidy = (source: string) =>
    source
      .replace(/^turbopack:\/\/\/\[project\]\//, "")
      .replace(/^file:\/\//, "")
      .replace(root + "/", "")
      .replace(/^\[project\]\//, "")
      .replace(/^(\.\.\/)+/, "");
  const areaOf = (source: string) => {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
    if (pkg) return pkg[1];
    if (source.startsWith("node:")) return "node internals";
    return source || "(native / V8)";
  };

  const keyCache = new Map<number, { key: string; area: string }>();
  const describe = (id: number) => {
    let d = keyCache.get(id);
    if (d) return d;
    const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
    const name = functionName || "(anonymous)";
    if (SPECIAL.has(functionName)) d = { key: functionName, area: functionName };
    else if (!url) d = { key: `${name} (native)`, area: "(native / V8)" };
    else {
      let source = tidy(url);
      let line = lineNumber + 1;
      const map = mapFor(url);
      const entry = map?.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
      if (entry?.originalSource) {
        source = tidy(entry.originalSource);
        line = (entry.originalLine ?? 0) + 1;
      }
      d = { key: `${name} ${source}:${line}`, area: areaOf(source) };
    }
    keyCache.set(id, d);
    return d;
  };

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let t = prof.startTime;
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
    total += dt;
    const leaf = describe(prof.samples[i]);
    self.set(leaf.key, (self.get(leaf.key) ?? 0) + dt);
    area.set(leaf.area, (area.get(leaf.area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = prof.samples[i]; id !== undefined; id = parent.get(id)) {
      const { key } = describe(id);
      if (key === "(root)" || seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  }
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { sampledMs: total, byArea: sorted(area), bySelf: sorted(self), byInclusive: sorted(inclusive) };
}

/** The summary as text: three ranked lists with ms and % of the time sampled. */
export function formatProfileSummary(s: ProfileSummary): string {
  const list = (rows: [string, number][]) => rows.map(([k, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((ms / s.sampledMs) * 100).toFixed(1).padStart(5)} %  ${k}`).join("\n");
  return [
    `CPU sampled: ${(s.sampledMs / 1000).toFixed(1)} s`,
    `self time by area (source file / package):`,
    list(s.byArea),
    `self time by function:`,
    list(s.bySelf),
    `inclusive time by function (on the stack):`,
    list(s.byInclusive),
  ].join("\n");
}

// Standalone: node --import tsx bench/cpu-profile.ts <file.cpuprofile> [root]
if (process.argv[1]?.endsWith("cpu-profile.ts")) {
  const [file, root = process.cwd()] = process.argv.slice(2);
  console.log(formatProfileSummary(summarizeCpuProfile(file, 0, Number.MAX_SAFE_INTEGER, root, 40)));
}
