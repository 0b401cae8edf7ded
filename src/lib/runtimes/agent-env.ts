/**
 * The one place an agent process's environment is built (docs/adr/0008): an allow-list,
 * never the server's environment. Every runtime (the command runtime's CLI, the Claude
 * Agent SDK's `claude` binary, the openai-compatible agent's `run_shell`) spawns with
 * the result of `agentEnv`.
 */
import { ENV_REFERENCE, isReservedEnvName } from "./secrets";

/** Variables every agent process gets from the server's environment (when set). */
export const BASE_AGENT_ENV = ["PATH", "HOME", "LANG", "TERM", "TMPDIR", "USER"] as const;

export interface AgentEnvSpec {
  /**
   * The runtime config's variables: literal values, or `${NAME}` to copy the server's
   * variable NAME at run time (unset → left out). Reserved names (Agentcron's own
   * variables, see secrets.ts) are never copied even if a stored config names them.
   */
  config?: Record<string, string>;
  /** Computed variables the runtime sets itself (e.g. ANTHROPIC_API_KEY from apiKeyEnv). */
  computed?: Record<string, string | undefined>;
  /** The run's own variables (RunInput.env); they win over everything. */
  run?: Record<string, string>;
}

/**
 * Builds an agent process's environment: BASE_AGENT_ENV copied from `source`, then the
 * config's variables (`${NAME}` resolved against `source`), the runtime's computed
 * ones, then the run's. Nothing else from `source` gets through.
 * @param source the server's environment (default `process.env`).
 */
export function agentEnv(spec: AgentEnvSpec = {}, source: Record<string, string | undefined> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BASE_AGENT_ENV) if (source[name] !== undefined) env[name] = source[name]!;
  Object.assign(env, resolveEnvReferences(spec.config, source));
  for (const [name, value] of Object.entries(spec.computed ?? {})) if (value !== undefined) env[name] = value;
  return { ...env, ...spec.run };
}

/**
 * Resolves `${NAME}` values against `source` (unset or reserved → the variable is left
 * out); literal values pass as they are.
 */
export function resolveEnvReferences(env: Record<string, string> | undefined, source: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env ?? {})) {
    const ref = ENV_REFERENCE.exec(value);
    if (!ref) out[name] = value;
    else if (!isReservedEnvName(ref[1]) && source[ref[1]] !== undefined) out[name] = source[ref[1]]!;
  }
  return out;
}

/**
 * The values a config's `${NAME}` references and its key variable (`apiKeyEnv`, for
 * claude-agent-sdk default ANTHROPIC_API_KEY) resolve to right now: what must never appear in an answer or a log line (see redactValues).
 */
export function referencedValues(kind: string, config: Record<string, unknown>, source: Record<string, string | undefined> = process.env): string[] {
  const names = new Set<string>();
  const env = config.env;
  if (env && typeof env === "object") {
    for (const value of Object.values(env as Record<string, unknown>)) {
      const ref = typeof value === "string" ? ENV_REFERENCE.exec(value) : null;
      if (ref) names.add(ref[1]);
    }
  }
  if (typeof config.apiKeyEnv === "string") names.add(config.apiKeyEnv);
  else if (kind === "claude-agent-sdk") names.add("ANTHROPIC_API_KEY");
  return [...names].map((n) => source[n]).filter((v): v is string => typeof v === "string" && v.length > 0);
}
