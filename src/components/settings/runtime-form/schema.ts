/**
 * The runtime dialog's form model: string inputs (a command line, `NAME=value` lines,
 * comma-separated tools), turned into the kind's `config` object of API.md "Runtimes" and
 * checked client-side with the server's own config shapes (lib/runtimes/config.ts) so
 * bounds and messages match. The server stays the authority: it adds the literal-secret
 * scan and the executable check, and its 400 `fields` map back onto these inputs.
 */
import { z } from "zod";
import { RUNTIME_KINDS, type RuntimeKind } from "@/lib/db/constants";
import { joinCommandLine, splitCommandLine } from "@/lib/runtimes/command-line";
import { claudeAgentSdkConfigShape, commandConfigShape, openAiCompatibleConfigShape, runtimeName } from "@/lib/runtimes/config";
import type { RuntimeDto } from "@/lib/ui/types";

/** Select value standing for "no permissionMode" (the runtime's default, dontAsk). */
export const UNSET = "__unset__";

export interface RuntimeFormValues {
  name: string;
  kind: RuntimeKind;
  isDefault: boolean;
  /** command: one command line, split into argv with shell-words rules (command-line.ts). */
  command: string;
  promptVia: "stdin" | "arg";
  outputFormat: "text" | "claude-stream-json" | "codex-json";
  cwd: string;
  /** `NAME=value` per line. */
  env: string;
  model: string;
  /** Comma-separated. */
  allowedTools: string;
  permissionMode: string;
  baseUrlEnv: string;
  apiKeyEnv: string;
  baseUrl: string;
  allowShell: boolean;
  /** Comma-separated runner labels the runtime is pinned to (config.runnerLabels). */
  runnerLabels: string;
  /** Most tasks of this runtime at once (config.maxConcurrent); empty = no runtime cap. */
  maxConcurrent: string;
}

/** Form fields in screen order (a failed submit focuses the first invalid one). */
export const FIELD_ORDER: (keyof RuntimeFormValues)[] = [
  "name",
  "kind",
  "command",
  "promptVia",
  "outputFormat",
  "baseUrl",
  "model",
  "permissionMode",
  "allowedTools",
  "apiKeyEnv",
  "baseUrlEnv",
  "cwd",
  "allowShell",
  "env",
  "runnerLabels",
  "maxConcurrent",
  "isDefault",
];

const CONFIG_SHAPES = {
  command: commandConfigShape,
  "claude-agent-sdk": claudeAgentSdkConfigShape,
  "openai-compatible": openAiCompatibleConfigShape,
} as const;

/** The config keys this form edits, per kind; any other key of a stored config is kept as it is. */
export const FORM_KEYS: Record<RuntimeKind, string[]> = {
  command: ["command", "promptVia", "outputFormat", "cwd", "env", "runnerLabels", "maxConcurrent"],
  "claude-agent-sdk": ["model", "cwd", "allowedTools", "permissionMode", "baseUrl", "baseUrlEnv", "apiKeyEnv", "env", "runnerLabels", "maxConcurrent"],
  "openai-compatible": ["baseUrl", "model", "apiKeyEnv", "cwd", "allowShell", "runnerLabels", "maxConcurrent"],
};

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** A stored runtime (or none) → form values. */
export function initialValues(r: RuntimeDto | null): RuntimeFormValues {
  const c = (r?.config ?? {}) as Record<string, unknown>;
  return {
    name: r?.name ?? "",
    kind: r?.kind ?? "command",
    isDefault: r?.isDefault ?? false,
    command: Array.isArray(c.command) ? joinCommandLine(c.command as string[]) : "",
    promptVia: c.promptVia === "arg" ? "arg" : "stdin",
    outputFormat: c.outputFormat === "claude-stream-json" || c.outputFormat === "codex-json" ? c.outputFormat : "text",
    cwd: str(c.cwd),
    env:
      c.env && typeof c.env === "object"
        ? Object.entries(c.env as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join("\n")
        : "",
    model: str(c.model),
    allowedTools: Array.isArray(c.allowedTools) ? (c.allowedTools as string[]).join(", ") : "",
    permissionMode: str(c.permissionMode) || UNSET,
    baseUrlEnv: str(c.baseUrlEnv),
    apiKeyEnv: str(c.apiKeyEnv),
    baseUrl: str(c.baseUrl),
    allowShell: c.allowShell === true,
    runnerLabels: Array.isArray(c.runnerLabels) ? (c.runnerLabels as string[]).join(", ") : "",
    maxConcurrent: typeof c.maxConcurrent === "number" ? String(c.maxConcurrent) : "",
  };
}

/** The stored config's keys this form doesn't edit (kept on save while the kind is unchanged). */
export function untouchedKeys(kind: RuntimeKind, original: RuntimeDto | null): Record<string, unknown> {
  if (!original || original.kind !== kind) return {};
  const config = (original.config ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(config).filter(([k]) => !FORM_KEYS[kind].includes(k)));
}

/** `NAME=value` lines → an env object (a line without `=` names an empty value). */
export function parseEnvLines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const i = l.indexOf("=");
        return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1)];
      }),
  );
}

/** The placement fields every kind shares: runner labels (pinning) and the runtime's cap; empty ones left out. */
function placementConfig(f: RuntimeFormValues): Record<string, unknown> {
  const labels = f.runnerLabels
    .split(",")
    .map((l) => l.trim())
    .filter(Boolean);
  const cap = f.maxConcurrent.trim();
  return { ...(labels.length ? { runnerLabels: [...new Set(labels)] } : {}), ...(cap ? { maxConcurrent: Number(cap) } : {}) };
}

/**
 * Form values → the kind-specific `config` of API.md "Runtimes"; empty optional fields
 * are left out, and `original`'s keys the form doesn't edit are kept (same kind only).
 */
export function toConfig(f: RuntimeFormValues, original: RuntimeDto | null): Record<string, unknown> {
  const opt = (k: string, v: string) => (v.trim() ? { [k]: v.trim() } : {});
  const env = parseEnvLines(f.env);
  const kept = { ...untouchedKeys(f.kind, original), ...placementConfig(f) };
  if (f.kind === "command") {
    return {
      ...kept,
      command: splitCommandLine(f.command).argv ?? [],
      promptVia: f.promptVia,
      outputFormat: f.outputFormat,
      ...opt("cwd", f.cwd),
      ...(Object.keys(env).length ? { env } : {}),
    };
  }
  if (f.kind === "claude-agent-sdk") {
    const tools = f.allowedTools
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    return {
      ...kept,
      ...opt("model", f.model),
      ...opt("cwd", f.cwd),
      ...(tools.length ? { allowedTools: tools } : {}),
      ...(f.permissionMode !== UNSET ? { permissionMode: f.permissionMode } : {}),
      ...opt("baseUrl", f.baseUrl),
      ...opt("baseUrlEnv", f.baseUrlEnv),
      ...opt("apiKeyEnv", f.apiKeyEnv),
      ...(Object.keys(env).length ? { env } : {}),
    };
  }
  return {
    ...kept,
    baseUrl: f.baseUrl.trim(),
    model: f.model.trim(),
    ...opt("apiKeyEnv", f.apiKeyEnv),
    ...opt("cwd", f.cwd),
    ...(f.allowShell ? { allowShell: true } : {}),
  };
}

/**
 * A server (or config-schema) field name → the form input it belongs under:
 * `config.env.X` → env, `config.command.0` → command, `name` → name; "form" when no
 * input shows it (e.g. a kept key such as `config.resumeCommand`).
 */
export function formFieldOf(serverField: string): keyof RuntimeFormValues | "form" {
  const [head, second] = serverField.split(".");
  const key = head === "config" ? second : head;
  return key && (FIELD_ORDER as string[]).includes(key) ? (key as keyof RuntimeFormValues) : "form";
}

/**
 * Client-side check of the form: the name and the config the form builds (kept keys
 * aside) against the server's config shape for the kind; a command line that needs a
 * shell is refused under `command`. Issues land on the inputs (formFieldOf).
 */
export const runtimeFormSchema = z
  .object({
    name: runtimeName,
    kind: z.enum(RUNTIME_KINDS),
    isDefault: z.boolean(),
    command: z.string(),
    promptVia: z.enum(["stdin", "arg"]),
    outputFormat: z.enum(["text", "claude-stream-json", "codex-json"]),
    cwd: z.string(),
    env: z.string(),
    model: z.string(),
    allowedTools: z.string(),
    permissionMode: z.string(),
    baseUrlEnv: z.string(),
    apiKeyEnv: z.string(),
    baseUrl: z.string(),
    allowShell: z.boolean(),
    runnerLabels: z.string(),
    maxConcurrent: z.string(),
  })
  .superRefine((values, ctx) => {
    if (values.kind === "command") {
      const split = splitCommandLine(values.command);
      if (split.error) {
        ctx.addIssue({ code: "custom", path: ["command"], message: split.error });
        return;
      }
    }
    const parsed = CONFIG_SHAPES[values.kind].safeParse(toConfig(values, null));
    if (parsed.success) return;
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      const field = formFieldOf(["config", ...issue.path.map(String)].join("."));
      if (field === "form" || seen.has(field)) continue;
      seen.add(field);
      ctx.addIssue({ code: "custom", path: [field], message: issue.message });
    }
  });
