/**
 * What counts as a secret in a runtime config, and which server variables a config may
 * never name (docs/adr/0008-agent-environment-allow-list.md). Pure functions: used by
 * the zod config schemas (config.ts), the agent environment (agent-env.ts) and the
 * redaction of test output (runtime-test.ts).
 */

/** Variable names whose values are secrets and may only be `${NAME}` references. */
export const SECRET_NAME = /(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?|AUTH)$/i;

/** A name that may hold an API key (`apiKeyEnv`): it must look like one (…KEY, …TOKEN, …SECRET). */
export const KEY_LIKE_NAME = /(^|_)(API_?KEY|KEY|TOKEN|SECRET)$/i;

/**
 * Agentcron's own configuration variables: a runtime config may never name them
 * (`apiKeyEnv`, `baseUrlEnv`, `${NAME}` references), so neither the access token nor the
 * database URL can be handed to an agent or sent to a model server.
 */
const RESERVED_ENV = /^(AGENTCRON_.*|DATABASE_URL|HOST|PORT|HOSTNAME|SCHEDULE_.*|NODE_OPTIONS|NEXT_.*|__NEXT_.*)$/;

/** True for a variable Agentcron itself reads (every AGENTCRON_* name, DATABASE_URL, HOST, PORT, SCHEDULE_*, NODE_OPTIONS, NEXT_*). */
export function isReservedEnvName(name: string): boolean {
  return RESERVED_ENV.test(name);
}

/** Well-known credential shapes, found anywhere in a value (bounded by a non-word character). */
const SECRET_PATTERNS: { kind: string; re: RegExp }[] = [
  { kind: "an Anthropic API key (sk-ant-…)", re: /(^|[^A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{8,}/ },
  { kind: "an API key (sk-…)", re: /(^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/ },
  { kind: "a GitHub token (ghp_…)", re: /(^|[^A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{20,}/ },
  { kind: "a GitHub token (github_pat_…)", re: /(^|[^A-Za-z0-9])github_pat_[A-Za-z0-9_]{20,}/ },
  { kind: "a Slack token (xox…)", re: /(^|[^A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,}/ },
  { kind: "an AWS access key (AKIA…)", re: /(^|[^A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Za-z0-9]|$)/ },
  { kind: "a Google API key (AIza…)", re: /(^|[^A-Za-z0-9])AIza[A-Za-z0-9_-]{30,}/ },
  { kind: "a private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

/** Shortest token considered by the entropy rule (characters). */
const ENTROPY_MIN_LENGTH = 32;

/** Shannon entropy of `s` in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A long random-looking token: ≥ 32 characters of one "word" (letters, digits and
 * `+/=_-.`, UUIDs left out), letters and digits mixed, not a path, and high entropy
 * (≥ 3.3 bits/char for hex, ≥ 4.2 otherwise — English words and paths stay below).
 */
function isHighEntropyToken(word: string): boolean {
  // UUIDs are identifiers (markers, ids in paths), not secrets: they don't count.
  const token = word.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "");
  if (token.length < ENTROPY_MIN_LENGTH) return false;
  if (!/^[A-Za-z0-9+/=_.-]+$/.test(token)) return false;
  if (!/[0-9]/.test(token) || !/[A-Za-z]/.test(token)) return false;
  if (token.includes("/") && !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return false; // a path, not base64
  const hex = /^[0-9a-f]+$/i.test(token);
  return entropy(token) >= (hex ? 3.3 : 4.2);
}

/**
 * The parts of a value the entropy rule looks at: for a URL only its password and query
 * values (paths and hosts are addresses, often long and random-looking: model servers
 * carry ids in them); otherwise every word.
 */
function entropyCandidates(value: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      return [decodeURIComponent(url.password), ...url.searchParams.values()];
    } catch {
      // not a parseable URL: treat it as words
    }
  }
  return value.split(/[\s"'=:,;?&@]+/);
}

/**
 * Says why `value` looks like a literal secret, or null: a known credential shape
 * anywhere in it (`sk-…`, `sk-ant-…`, `ghp_…`, `github_pat_…`, `xox…`, `AKIA…`, a
 * private key) or a long high-entropy token among its words (for a URL: its password and
 * query values).
 * A `${NAME}` reference is never a secret (its value is read at run time).
 */
export function secretValueKind(value: string): string | null {
  for (const { kind, re } of SECRET_PATTERNS) if (re.test(value)) return kind;
  for (const word of entropyCandidates(value)) {
    if (isHighEntropyToken(word)) return "a long random-looking token";
  }
  return null;
}

/** A whole value that references a server environment variable: `${NAME}`. */
export const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface LiteralSecret {
  /** Where in the config, e.g. `["env", "ANTHROPIC_AUTH"]` or `["command", 3]`. */
  path: (string | number)[];
  /** Why it counts as a secret, for the 400 message. */
  reason: string;
}

/**
 * Every literal secret in a runtime config, walked recursively (ADR 0008): a string
 * that looks like a secret by value (secretValueKind), or a literal under `env` whose
 * name looks like a secret (SECRET_NAME). `${NAME}` references are never secrets.
 */
export function findLiteralSecrets(config: unknown): LiteralSecret[] {
  const found: LiteralSecret[] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      if (ENV_REFERENCE.test(value)) return;
      const kind = secretValueKind(value);
      if (kind) found.push({ path, reason: `looks like ${kind}` });
      else if (path[0] === "env" && path.length === 2 && SECRET_NAME.test(String(path[1]))) found.push({ path, reason: "looks like a secret (by its name)" });
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(config, []);
  return found;
}

/**
 * A copy of a stored config with every literal secret (findLiteralSecrets) replaced by
 * `[redacted]`: what an answer shows for a row stored before secrets were refused.
 */
export function redactConfigSecrets<T>(config: T): T {
  const found = findLiteralSecrets(config);
  if (!found.length) return config;
  const copy = structuredClone(config) as Record<string | number, unknown>;
  for (const { path } of found) {
    let at = copy;
    for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at[path[path.length - 1]] = "[redacted]";
  }
  return copy as T;
}

/**
 * Replaces every occurrence of each value in `secrets` (≥ 4 characters) with `[redacted]`.
 * Used on text an agent printed before it is answered or logged.
 */
export function redactValues(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}
