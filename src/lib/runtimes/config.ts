/**
 * Runtime configs by kind (API.md "Runtimes"), validated at the edge with one zod
 * discriminated union. Secrets never go in a config: a runtime names the environment
 * variable that holds its API key (`apiKeyEnv`), the configs are strict so a stray
 * `apiKey` field is rejected instead of stored, and a literal secret anywhere in a config
 * is refused by value or name (secrets.ts, docs/adr/0008-agent-environment-allow-list.md).
 */
import { z } from "zod";
import { LIMITS, RUNTIME_KINDS } from "../db/constants";
import { ENV_REFERENCE, findLiteralSecrets, isReservedEnvName, KEY_LIKE_NAME } from "./secrets";

const envName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name such as MY_API_KEY");
/** A server variable a config names (apiKeyEnv, baseUrlEnv): never one of Agentcron's own. */
const namedEnv = envName.refine((n) => !isReservedEnvName(n), "names one of Agentcron's own variables (AGENTCRON_*, DATABASE_URL, HOST, PORT …); use another variable");
/** The variable holding an API key: key-like (…KEY, …TOKEN, …SECRET) and not Agentcron's own. */
const apiKeyEnvName = namedEnv.refine((n) => KEY_LIKE_NAME.test(n), "must name a key variable (ending in KEY, TOKEN or SECRET, e.g. OPENAI_API_KEY)");
const path = z.string().min(1).max(4096);

/**
 * Refuses literal secrets anywhere in a config (findLiteralSecrets, ADR 0008) and NUL
 * bytes in any string; issues name the field (`config.env.X`).
 */
function refuseLiteralSecrets(config: unknown, ctx: z.RefinementCtx): void {
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string" && value.includes("\0")) ctx.addIssue({ code: "custom", path, message: "must not contain NUL bytes" });
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(config, []);
  for (const { path, reason } of findLiteralSecrets(config)) {
    ctx.addIssue({ code: "custom", path, message: `${reason}: secrets are not stored; put it in the server's environment and reference it as "\${NAME}"` });
  }
}

/**
 * Extra environment variables of an agent process (command and claude-agent-sdk). A
 * value may reference the server's environment as `${NAME}` (NAME not one of
 * Agentcron's own variables); secret-looking values or names must be such a reference.
 */
const envRecord = z
  .record(envName, z.string().max(10_000))
  .refine((env) => Object.keys(env).length <= 100, "at most 100 variables")
  .superRefine((env, ctx) => {
    for (const [name, value] of Object.entries(env)) {
      const ref = ENV_REFERENCE.exec(value);
      if (ref && isReservedEnvName(ref[1])) ctx.addIssue({ code: "custom", path: [name], message: `references ${ref[1]}, one of Agentcron's own variables` });
    }
  });

/** A runner label (AGENTCRON_RUNNER_LABELS entries): letters, digits, `_ . : -`, no commas or spaces. */
export const runnerLabel = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "must be a runner label such as gpu or repo-foo (letters, digits, _ . : -)");

/**
 * Where and how much a runtime runs, accepted by every kind (issue 14 item 4, issue 12 item 4):
 * - `runnerLabels`: the runtime is pinned to runners having EVERY one of these labels
 *   (AGENTCRON_RUNNER_LABELS); a runner without them never claims its tasks. Empty/absent: any runner.
 * - `maxConcurrent`: most tasks of this runtime running at once over every runner (e.g. 1 for a
 *   local GPU model), checked by the claim like the global cap. Absent: only the other caps.
 */
export const runtimePlacementFields = {
  runnerLabels: z.array(runnerLabel).max(20, "at most 20 labels").optional(),
  maxConcurrent: z.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(1000).optional(),
};

export const COMMAND_OUTPUT_FORMATS = ["text", "claude-stream-json", "codex-json"] as const;
export type CommandOutputFormat = (typeof COMMAND_OUTPUT_FORMATS)[number];

/** Placeholders replaced inside `command` / `resumeCommand` argv entries. */
export const PROMPT_PLACEHOLDER = "{prompt}";
export const SESSION_PLACEHOLDER = "{sessionId}";
export const MAX_TURNS_PLACEHOLDER = "{maxTurns}";

/**
 * A command config's shape and bounds without the literal-secret scan: the runtime dialog
 * checks these client-side (components/settings/runtime-form/schema.ts); the server parses
 * with commandConfigSchema, which adds the scan.
 */
export const commandConfigShape = z
  .object({
    /** argv, spawned without a shell. `{prompt}` (with promptVia "arg") and `{maxTurns}` are replaced. */
    command: z.array(z.string().max(10_000)).min(1, "must name the executable").max(200),
    promptVia: z.enum(["stdin", "arg"]).default("stdin"),
    outputFormat: z.enum(COMMAND_OUTPUT_FORMATS).default("text"),
    cwd: path.optional(),
    /** Extra environment variables (see envRecord); the process gets nothing else but PATH, HOME, LANG, TERM, TMPDIR, USER. */
    env: envRecord.optional(),
    /**
     * argv used instead of `command` when resuming a session (`{sessionId}` replaced).
     * Default: `command` + `--resume {sessionId}` for claude-stream-json; none otherwise.
     */
    resumeCommand: z.array(z.string().max(10_000)).min(1).max(200).optional(),
    ...runtimePlacementFields,
    /** The model the command runs (e.g. "gpt-5-codex"), for its cost from the price table (src/lib/budgets); not passed to the command. */
    model: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((c) => (c.command[0] ?? "").trim() !== "", { path: ["command"], message: "must name the executable" })
  .refine((c) => c.promptVia !== "arg" || [...c.command, ...(c.resumeCommand ?? [])].some((a) => a.includes(PROMPT_PLACEHOLDER)), {
    path: ["command"],
    message: `must contain "${PROMPT_PLACEHOLDER}" when promptVia is "arg"`,
  })
  .refine((c) => !c.resumeCommand || c.resumeCommand.some((a) => a.includes(SESSION_PLACEHOLDER)), {
    path: ["resumeCommand"],
    message: `must contain "${SESSION_PLACEHOLDER}"`,
  });
export const commandConfigSchema = commandConfigShape.superRefine(refuseLiteralSecrets);

/** Claude Code permission modes; `bypassPermissions` is refused by Claude Code when running as root. */
export const CLAUDE_PERMISSION_MODES = ["dontAsk", "default", "acceptEdits", "plan", "bypassPermissions"] as const;

/** The claude-agent-sdk config's shape and bounds without the literal-secret scan (see commandConfigShape). */
export const claudeAgentSdkConfigShape = z
  .object({
    model: z.string().min(1).max(200).optional(),
    cwd: path.optional(),
    /** Tools Claude Code may use without asking (default: Read, Glob, Grep, Bash, Edit, Write). */
    allowedTools: z.array(z.string().min(1).max(200)).max(100).optional(),
    /** Default `dontAsk`: a scheduled run has nobody to ask; tools outside allowedTools are denied. */
    permissionMode: z.enum(CLAUDE_PERMISSION_MODES).optional(),
    /** Messages API base URL (not a secret). Wins over baseUrlEnv. */
    baseUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    /** Name of the env var holding the Messages API base URL; default: inherit ANTHROPIC_BASE_URL. */
    baseUrlEnv: namedEnv.optional(),
    /** Name of the env var holding the API key; default ANTHROPIC_API_KEY. */
    apiKeyEnv: apiKeyEnvName.optional(),
    /** Path of the `claude` executable; default: the one bundled with the SDK. */
    executable: path.optional(),
    /** Extra variables for the `claude` process (e.g. HTTPS_PROXY: "${HTTPS_PROXY}"); see envRecord. */
    env: envRecord.optional(),
    ...runtimePlacementFields,
  })
  .strict();
export const claudeAgentSdkConfigSchema = claudeAgentSdkConfigShape.superRefine(refuseLiteralSecrets);

/** The openai-compatible config's shape and bounds without the literal-secret scan (see commandConfigShape). */
export const openAiCompatibleConfigShape = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }).max(2000),
    model: z.string().min(1).max(200),
    /**
     * Name of the server variable whose value is sent as the Bearer key to `baseUrl`:
     * key-like (…KEY, …TOKEN, …SECRET) and never one of Agentcron's own variables.
     */
    apiKeyEnv: apiKeyEnvName.optional(),
    /** Directory the agent's file and shell tools work in (default: the server's cwd). */
    cwd: path.optional(),
    /** Offer the model the `run_shell` tool (sh -c in `cwd`). Off unless set: a remote model then runs commands here. */
    allowShell: z.boolean().optional(),
    ...runtimePlacementFields,
  })
  .strict();
export const openAiCompatibleConfigSchema = openAiCompatibleConfigShape.superRefine(refuseLiteralSecrets);

export type CommandConfig = z.infer<typeof commandConfigSchema>;
export type ClaudeAgentSdkConfig = z.infer<typeof claudeAgentSdkConfigSchema>;
export type OpenAiCompatibleConfig = z.infer<typeof openAiCompatibleConfigSchema>;

/** `{kind, config}` validated together: the config schema follows the kind. */
export const runtimeKindConfigSchema = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("command"), config: commandConfigSchema }),
    z.object({ kind: z.literal("claude-agent-sdk"), config: claudeAgentSdkConfigSchema }),
    z.object({ kind: z.literal("openai-compatible"), config: openAiCompatibleConfigSchema }),
  ],
  { error: () => `must be one of: ${RUNTIME_KINDS.join(", ")}` },
);
export type RuntimeKindConfig = z.infer<typeof runtimeKindConfigSchema>;

/** A runtime's name (create and patch; the runtime dialog checks it client-side too). */
export const runtimeName = z.string().trim().min(1, "is required").max(LIMITS.nameMax);
const name = runtimeName;

/** POST /api/runtimes body. */
export const runtimeCreateSchema = z.intersection(
  z.object({ name, isDefault: z.boolean().optional() }),
  runtimeKindConfigSchema,
);
export type RuntimeCreateInput = z.infer<typeof runtimeCreateSchema>;

/** PATCH /api/runtimes/:id body: any subset; a new config is validated against the (new or stored) kind. */
export const runtimePatchSchema = z
  .object({
    name: name.optional(),
    kind: z.enum(RUNTIME_KINDS, { error: () => `must be one of: ${RUNTIME_KINDS.join(", ")}` }).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    isDefault: z.boolean().optional(),
  })
  .strict();
export type RuntimePatchInput = z.infer<typeof runtimePatchSchema>;

/** POST /api/runtimes/:id/test body. */
export const runtimeTestSchema = z.object({ prompt: z.string().min(1).max(LIMITS.promptMax).optional() }).strict();
