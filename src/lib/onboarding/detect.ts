import "server-only";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RuntimeKind } from "../db/constants";
import { resolveExecutable } from "../runtimes/runnable";

/*
 * First-run detection (issue 13 item 1): what this machine can run agents with, each
 * offered as a ready POST /api/runtimes body so the dashboard creates a runtime in one
 * click. Only presence is reported: an API key's value never leaves the server (a
 * runtime names the variable, `apiKeyEnv`), credentials files are checked for existence
 * and never read, and the Ollama probe talks to a loopback address only.
 */

/** Default Ollama address; AGENTCRON_OLLAMA_URL may point elsewhere on loopback only. */
export const OLLAMA_DEFAULT_URL = "http://127.0.0.1:11434";
/** How long the Ollama probe may take (ms): the dashboard waits for it. */
export const OLLAMA_TIMEOUT_MS = 800;
/** At most this many Ollama models are offered. */
const OLLAMA_MAX_MODELS = 5;
const OPENAI_DEFAULT_MODEL = "gpt-4.1-mini";

export type DetectorId = "claude-code" | "codex" | "ollama" | "openai" | "scripted-demo";

/** One thing looked for, found or not, with a sentence saying what was seen. */
export interface DetectionCheck {
  id: DetectorId;
  label: string;
  found: boolean;
  detail: string;
}

/** A runtime this machine can use now; `runtime` is the POST /api/runtimes body. */
export interface RuntimeOffer {
  /** Stable per offer (`ollama:<model>` for each Ollama model). */
  id: string;
  detector: DetectorId;
  label: string;
  detail: string;
  /** True for the scripted demo agent: no model, canned answers. */
  demo: boolean;
  runtime: { name: string; kind: RuntimeKind; config: Record<string, unknown> };
}

/** GET /api/onboarding body. `found` counts real (non-demo) offers. */
export interface OnboardingDetection {
  checks: DetectionCheck[];
  offers: RuntimeOffer[];
  found: number;
}

export interface DetectOptions {
  /** Environment to read presence from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Project root holding node_modules and test/fixtures (default process.cwd()). */
  root?: string;
  /** Home directory for ~/.claude (default os.homedir()). */
  home?: string;
  /** Ollama probe timeout (ms). */
  ollamaTimeoutMs?: number;
}

const present = (v: string | undefined) => typeof v === "string" && v.trim() !== "";

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The Claude Code binary the SDK ships as a platform package, or null. */
export function bundledClaudeBinary(root: string): string | null {
  const base = path.join(root, "node_modules", "@anthropic-ai");
  for (const suffix of ["", "-musl"]) {
    const file = path.join(base, `claude-agent-sdk-${process.platform}-${process.arch}${suffix}`, process.platform === "win32" ? "claude.exe" : "claude");
    if (isExecutable(file)) return file;
  }
  return null;
}

function detectClaude(env: DetectOptions["env"] & object, root: string, home: string): { check: DetectionCheck; offer?: RuntimeOffer } {
  const label = "Claude Code (bundled with the Agent SDK)";
  const binary = bundledClaudeBinary(root);
  if (!binary) return { check: { id: "claude-code", label, found: false, detail: "The Agent SDK's Claude Code binary is not installed for this platform." } };
  const configDir = present(env.CLAUDE_CONFIG_DIR) ? env.CLAUDE_CONFIG_DIR! : path.join(home, ".claude");
  const loggedIn = fs.existsSync(path.join(configDir, ".credentials.json"));
  const apiKey = present(env.ANTHROPIC_API_KEY);
  if (!loggedIn && !apiKey) {
    return { check: { id: "claude-code", label, found: false, detail: "Binary found, but no logged-in Claude account (run `claude login`) and no ANTHROPIC_API_KEY." } };
  }
  const detail = apiKey ? "Binary found; ANTHROPIC_API_KEY is set." : "Binary found; a Claude account is logged in on this machine.";
  return {
    check: { id: "claude-code", label, found: true, detail },
    offer: { id: "claude-code", detector: "claude-code", label: "Claude Code", detail, demo: false, runtime: { name: "Claude Code", kind: "claude-agent-sdk", config: {} } },
  };
}

function detectCodex(env: DetectOptions["env"] & object): { check: DetectionCheck; offer?: RuntimeOffer } {
  const label = "Codex CLI";
  const file = resolveExecutable("codex", { pathEnv: env.PATH ?? "" });
  if (!file) return { check: { id: "codex", label, found: false, detail: "`codex` is not on the server's PATH." } };
  const detail = `\`codex\` found at ${file}.`;
  return {
    check: { id: "codex", label, found: true, detail },
    offer: {
      id: "codex",
      detector: "codex",
      label: "Codex CLI",
      detail,
      demo: false,
      runtime: { name: "Codex", kind: "command", config: { command: ["codex", "exec", "--json", "{prompt}"], promptVia: "arg", outputFormat: "codex-json" } },
    },
  };
}

/** The Ollama base URL to probe, or null when the configured one is not a loopback http URL. */
export function ollamaBaseUrl(env: DetectOptions["env"] & object): string | null {
  const raw = present(env.AGENTCRON_OLLAMA_URL) ? env.AGENTCRON_OLLAMA_URL! : OLLAMA_DEFAULT_URL;
  try {
    const url = new URL(raw);
    if (url.protocol !== "http:" || !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return null;
    return url.origin;
  } catch {
    return null;
  }
}

async function detectOllama(env: DetectOptions["env"] & object, timeoutMs: number): Promise<{ check: DetectionCheck; offers: RuntimeOffer[] }> {
  const label = "Ollama";
  const base = ollamaBaseUrl(env);
  if (!base) return { check: { id: "ollama", label, found: false, detail: "AGENTCRON_OLLAMA_URL is not a loopback http:// address; not probed." }, offers: [] };
  let models: string[];
  try {
    const res = await fetch(`${base}/api/tags`, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { models?: { name?: unknown }[] };
    models = (body.models ?? []).map((m) => m.name).filter((n): n is string => typeof n === "string" && n.length > 0 && n.length <= 200);
  } catch {
    return { check: { id: "ollama", label, found: false, detail: `No Ollama server answered at ${base}.` }, offers: [] };
  }
  if (!models.length) return { check: { id: "ollama", label, found: false, detail: `Ollama runs at ${base} but has no models; pull one (ollama pull llama3.2).` }, offers: [] };
  const detail = `Ollama at ${base} with ${models.length} model${models.length === 1 ? "" : "s"}: ${models.slice(0, OLLAMA_MAX_MODELS).join(", ")}${models.length > OLLAMA_MAX_MODELS ? ", …" : ""}.`;
  return {
    check: { id: "ollama", label, found: true, detail },
    offers: models.slice(0, OLLAMA_MAX_MODELS).map((model) => ({
      id: `ollama:${model}`,
      detector: "ollama" as const,
      label: `Ollama · ${model}`,
      detail: `Local model ${model} through Ollama's OpenAI-compatible API.`,
      demo: false,
      runtime: { name: `Ollama ${model}`, kind: "openai-compatible" as const, config: { baseUrl: `${base}/v1`, model } },
    })),
  };
}

function detectOpenAi(env: DetectOptions["env"] & object): { check: DetectionCheck; offer?: RuntimeOffer } {
  const label = "OpenAI API";
  if (!present(env.OPENAI_API_KEY)) return { check: { id: "openai", label, found: false, detail: "OPENAI_API_KEY is not set." } };
  const detail = `OPENAI_API_KEY is set; runs use ${OPENAI_DEFAULT_MODEL} (change the model in Settings).`;
  return {
    check: { id: "openai", label, found: true, detail },
    offer: {
      id: "openai",
      detector: "openai",
      label: `OpenAI · ${OPENAI_DEFAULT_MODEL}`,
      detail,
      demo: false,
      runtime: { name: `OpenAI ${OPENAI_DEFAULT_MODEL}`, kind: "openai-compatible", config: { baseUrl: "https://api.openai.com/v1", model: OPENAI_DEFAULT_MODEL, apiKeyEnv: "OPENAI_API_KEY" } },
    },
  };
}

/** The scripted demo agent (test/fixtures/scripted-agent.mjs under this Node): no model, canned turns. */
function demoOffer(root: string): { check: DetectionCheck; offer?: RuntimeOffer } {
  const label = "Scripted demo agent";
  const script = path.join(root, "test", "fixtures", "scripted-agent.mjs");
  if (!fs.existsSync(script)) return { check: { id: "scripted-demo", label, found: false, detail: "The demo agent script is not part of this install." } };
  const detail = "No model: a scripted agent that plays three canned turns, to try schedules and runs offline.";
  return {
    check: { id: "scripted-demo", label, found: true, detail },
    offer: {
      id: "scripted-demo",
      detector: "scripted-demo",
      label: "Scripted demo agent (no model)",
      detail,
      demo: true,
      runtime: {
        name: "Scripted demo agent (no model)",
        kind: "command",
        config: { command: [process.execPath, script, "--format", "claude-stream-json", "--turns", "3", "--delay-ms", "400"], promptVia: "stdin", outputFormat: "claude-stream-json" },
      },
    },
  };
}

/**
 * Looks at this machine for agent runtimes (rules in the module comment). Never throws;
 * the Ollama probe waits at most `ollamaTimeoutMs` (default OLLAMA_TIMEOUT_MS).
 * The scripted demo is always the last offer (`demo: true`); `found` counts the others.
 */
export async function detectRuntimes(opts: DetectOptions = {}): Promise<OnboardingDetection> {
  const env = opts.env ?? process.env;
  const root = opts.root ?? process.cwd();
  const home = opts.home ?? os.homedir();
  const claude = detectClaude(env, root, home);
  const codex = detectCodex(env);
  const ollama = await detectOllama(env, opts.ollamaTimeoutMs ?? OLLAMA_TIMEOUT_MS);
  const openai = detectOpenAi(env);
  const demo = demoOffer(root);
  const real = [claude.offer, codex.offer, ...ollama.offers, openai.offer].filter((o): o is RuntimeOffer => !!o);
  return {
    checks: [claude.check, codex.check, ollama.check, openai.check, demo.check],
    offers: [...real, ...(demo.offer ? [demo.offer] : [])],
    found: real.length,
  };
}
