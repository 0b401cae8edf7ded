/**
 * Every environment variable Agentcron reads, declared once: a zod schema with its
 * default, unit and meaning, validated once at boot (instrumentation.ts calls
 * refuseBadEnvironment: a bad value stops the process with one line naming the
 * variable, like the access rule does for the token). Modules read typed values with
 * `env()` instead of parsing `process.env` themselves.
 *
 * `env()` re-validates only when one of the declared variables changed since the last
 * call (a cheap comparison of the raw strings), so tests that set `process.env` or use
 * `vi.stubEnv` between cases see their values without a reset hook.
 *
 * Not declared here, on purpose:
 * - `NEXT_RUNTIME` (set by Next.js; instrumentation.ts must read it literally so the
 *   bundler can drop the Node-only branch from the edge bundle);
 * - the environment handed to agents (runtimes/agent-env.ts allow-list, `PATH` for
 *   resolving a command, the `apiKeyEnv` / `${NAME}` variables a runtime config names,
 *   onboarding's key detection): those are the agents' environment, named by the user at
 *   run time, not Agentcron's settings;
 * - scripts/*.mjs run on plain Node before anything is built; they read HOST, PORT,
 *   AGENTCRON_DATA_DIR and AGENTCRON_TOKEN with the same defaults as declared here, and
 *   scripts/start.mjs applies the access rule (config/access-config.mjs) before building.
 *
 * No `server-only`: the proxy bundle reads the access variables through http/access.ts.
 */
import { z } from "zod";
import { AccessConfigError, readAccessConfig } from "./config/access-config.mjs";
import { SETTING_DEFINITIONS } from "./config/setting-definitions";
import { DEFAULT_RETRY_BACKOFF_MS } from "./scheduler/tuning";

/** A blank value counts as unset (`FOO=` in a shell or an .env file). */
const unsetIfBlank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** A positive integer within 1..max, written in decimal. */
function positiveInt(max: number) {
  const message = `must be a whole number between 1 and ${max}`;
  return z
    .string()
    .trim()
    .regex(/^\d+$/, message)
    .transform(Number)
    .pipe(z.number().int(message).min(1, message).max(max, message));
}

/** `1`/`true` or `0`/`false` (case-insensitive). */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ["1", "true", "0", "false"].includes(v), "must be 1, true, 0 or false")
  .transform((v) => v === "1" || v === "true");

/** Runs one access variable through the access rule (config/access-config.mjs), which names it in its message. */
function accessRule<K extends "token" | "allowedOrigins">(name: string, key: K) {
  return z.string().transform((value, ctx) => {
    try {
      return readAccessConfig({ [name]: value })[key];
    } catch (err) {
      if (!(err instanceof AccessConfigError)) throw err;
      ctx.addIssue({ code: "custom", message: err.message });
      return z.NEVER;
    }
  });
}

/** One declared variable: its schema (input: the raw string or undefined) and what it means. */
interface Declaration {
  schema: z.ZodType;
  /** What it does, its unit, and who reads it. */
  doc: string;
  /** The default in words, for docs ("unset" when there is none). */
  default: string;
  /** Never echoed in an error message or a log (it is a credential or holds one). */
  secret?: boolean;
  /** Set by Agentcron's own launcher, not by people: left out of README's tables. */
  internal?: boolean;
}

const declare = <T extends z.ZodType>(inner: T, doc: string, dflt: string, secret = false, internal = false) =>
  ({ schema: z.preprocess(unsetIfBlank, inner), doc, default: dflt, secret, internal }) satisfies Declaration;

const settingEnv = (key: keyof typeof SETTING_DEFINITIONS, doc: string) => {
  const def = SETTING_DEFINITIONS[key];
  return declare(positiveInt(def.max).optional(), `${doc} Wins over the stored setting (PATCH /api/settings).`, `unset (stored setting, else ${def.default})`);
};

/** The declarations, in the order docs list them. */
export const ENV_DECLARATIONS = {
  HOST: declare(
    z.string().trim().default("127.0.0.1"),
    "Address `npm start` listens on. Anything beyond loopback requires AGENTCRON_TOKEN (ADR 0004).",
    "127.0.0.1",
  ),
  PORT: declare(positiveInt(65535).default(3000), "TCP port the server listens on (`next start` sets it to the port it bound).", "3000"),
  AGENTCRON_TOKEN: declare(
    accessRule("AGENTCRON_TOKEN", "token").optional().transform((v) => v ?? null),
    "Bearer token every /api request except GET /api/health needs (≥ 32 characters); unset = no authentication, loopback only.",
    "unset",
    true,
  ),
  AGENTCRON_ALLOWED_ORIGINS: declare(
    accessRule("AGENTCRON_ALLOWED_ORIGINS", "allowedOrigins").optional().transform((v) => v ?? []),
    "Comma-separated `scheme://host[:port]` origins the server is reachable through besides loopback.",
    "unset (loopback only)",
  ),
  AGENTCRON_TRUST_PROXY: declare(
    flag.default(false),
    "`1` honours X-Forwarded-Host / X-Forwarded-Proto (behind a reverse proxy).",
    "0",
  ),
  AGENTCRON_DATA_DIR: declare(z.string().default("./data"), "Directory of the SQLite database file (used when DATABASE_URL is unset).", "./data"),
  AGENTCRON_MIGRATIONS_DIR: declare(z.string().optional(), "Folder of the drizzle migrations applied at boot, one subfolder per dialect (`sqlite/`, `pg/`).", "`drizzle/` under the working directory"),
  DATABASE_URL: declare(
    z
      .string()
      .trim()
      .refine((v) => {
        try {
          const url = new URL(v);
          // No host is fine: libpq then uses the default Unix socket (postgresql:///agentcron).
          return url.protocol === "postgres:" || url.protocol === "postgresql:";
        } catch {
          return false;
        }
      }, "must be a PostgreSQL URL like postgres://user:password@host:5432/agentcron")
      .optional(),
    "`postgres://…` selects PostgreSQL, shared by every instance and worker; unset = SQLite in AGENTCRON_DATA_DIR.",
    "unset (SQLite)",
    true,
  ),
  AGENTCRON_RUNNER_CAPACITY: declare(
    positiveInt(SETTING_DEFINITIONS.maxConcurrent.max).optional(),
    "Tasks this runner runs at once, on top of the global cap (maxConcurrent), in slots.",
    "unset (the global cap)",
  ),
  AGENTCRON_RUNNER_LABELS: declare(
    z
      .string()
      .transform((v) => [...new Set(v.split(",").map((l) => l.trim()).filter(Boolean))])
      .default([]),
    "Labels of this runner, comma-separated (e.g. `gpu,repo-foo`): shown in GET /api/runners; a runtime can be pinned to them.",
    "none",
  ),
  AGENTCRON_WORKER_PORT: declare(
    z.string().trim().regex(/^\d+$/, "must be a port number").transform(Number).pipe(z.number().int().min(0, "must be a port number").max(65_535, "must be a port number")).default(3101),
    "Port of `npm run worker`'s only endpoint, GET /api/health (0 = any free port, printed at start).",
    "3101",
  ),
  AGENTCRON_WORKER_HOST: declare(z.string().trim().default("127.0.0.1"), "Address `npm run worker` serves its health endpoint on.", "127.0.0.1"),
  AGENTCRON_EXECUTOR: declare(
    z.enum(["thread", "inline"], { message: "must be thread or inline" }).default("thread"),
    "Where agent runs are executed (stream parsing, turn counting, event persistence): `thread` = the executor host's worker thread, off the main event loop (ADR 0022); `inline` = the main thread (benchmarks' baseline, debugging).",
    "thread",
  ),
  AGENTCRON_AGENT_NICE: declare(
    z.string().trim().regex(/^\d+$/, "must be a whole number between 0 and 19").transform(Number).pipe(z.number().int().max(19, "must be a whole number between 0 and 19")).default(10),
    "How much lower than the server's the CPU priority (nice) of agent processes and of the executor host's thread is, 0–19: background agents yield the CPU to the chat and the API (ADR 0029). 0 = the server's priority.",
    "10",
  ),
  AGENTCRON_SPAWNERS: declare(
    z.string().trim().regex(/^\d+$/, "must be a whole number from 0 to 8").transform(Number).pipe(z.number().int().min(0).max(8, "must be a whole number from 0 to 8")).default(2),
    "Spawner processes per spawning thread (ADR 0028): small plain-Node processes that start agent processes, so a start forks a ~40 MB process instead of the server. 0 = spawn from the server process itself.",
    "2",
  ),
  AGENTCRON_SPAWNER: declare(
    z.enum(["auto", "node"], { message: "must be auto or node" }).default("auto"),
    "Which spawner processes start agents (ADR 0033): auto = the posix one (python3's subprocess: vfork + exec, ~0.5 ms a start) when a python3 ≥ 3.9 runs it (Linux), else the plain-Node one (fork + exec, ~3.5 ms); node = always the plain-Node one.",
    "auto",
  ),
  AGENTCRON_QUIET_COLLECTION: declare(
    z.enum(["on", "off"], { message: "must be on or off" }).default("on"),
    "Major garbage collections forced in the scheduler's quiet windows (nothing due for a while, no pass or launch in flight, no chat streaming) once a thread's heap has grown 2 MiB, so V8's own don't land on a burst of agent starts (ADR 0035). off = leave every collection to V8.",
    "on",
  ),
  SCHEDULE_MAX_CONCURRENT: settingEnv("maxConcurrent", "Slots: tasks running at once across all runners."),
  SCHEDULE_MAX_RUN_DURATION_SEC: settingEnv("maxRunDurationSec", "Default lease length per task, in seconds."),
  SCHEDULE_CHAT_PRESSURE_DELAY_SEC: settingEnv("chatPressureDelaySec", "Seconds scheduled starts are held while a chat reply streams."),
  AGENTCRON_RETRY_BACKOFF_SEC: declare(
    z
      .string()
      .refine((v) => v.split(",").every((s) => /^\s*\d+(\.\d+)?\s*$/.test(s)), "must be comma-separated seconds like 60,300,900")
      .transform((v) => v.split(",").map((s) => Math.round(Number(s) * 1000)) as readonly number[])
      .default(DEFAULT_RETRY_BACKOFF_MS),
    "Backoff before each retry, in seconds, comma-separated (the last value repeats). Parsed to ms.",
    "60,300,900",
  ),
  AGENTCRON_SSE_KEEPALIVE_MS: declare(
    positiveInt(3_600_000).default(15_000),
    "Interval of `: keepalive` comments on SSE streams, in ms (shorter for proxies with short idle timeouts).",
    "15000",
  ),
  AGENTCRON_OLLAMA_URL: declare(
    z.string().trim().optional(),
    "Ollama server first-run detection probes (GET /api/onboarding); probed only when it is a loopback http:// address (onboarding/detect.ts says so in its check otherwise).",
    "http://127.0.0.1:11434",
  ),
  NEXT_MANUAL_SIG_HANDLE: declare(
    z.string().optional().transform((v) => v !== undefined),
    "Set by scripts/launch.mjs: the server, not Next.js, owns the exit on SIGINT/SIGTERM (graceful shutdown).",
    "unset",
    false,
    true,
  ),
} as const;

export type EnvName = keyof typeof ENV_DECLARATIONS;
const NAMES = Object.keys(ENV_DECLARATIONS) as EnvName[];

const envSchema = z.object(Object.fromEntries(NAMES.map((n) => [n, ENV_DECLARATIONS[n].schema])) as { [K in EnvName]: (typeof ENV_DECLARATIONS)[K]["schema"] });

/** The typed environment. */
export type Env = z.output<typeof envSchema>;

/** A bad environment variable; `message` is one line naming each bad variable. */
export class EnvError extends Error {
  constructor(
    message: string,
    /** The variables that are wrong. */
    readonly variables: EnvName[],
  ) {
    super(message);
    this.name = "EnvError";
  }
}

/**
 * Validates `source` against the declarations.
 * @returns typed values with defaults applied (units as documented per variable)
 * @throws EnvError naming every bad variable (values of secret ones are not shown)
 */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const raw = Object.fromEntries(NAMES.map((n) => [n, source[n]]));
  const parsed = envSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const bad: EnvName[] = [];
  const parts: string[] = [];
  for (const issue of parsed.error.issues) {
    const name = issue.path[0] as EnvName;
    if (bad.includes(name)) continue;
    bad.push(name);
    // The access rule's messages already start with the variable's name.
    if (issue.message.startsWith(name)) parts.push(issue.message);
    else parts.push(`${name}${ENV_DECLARATIONS[name].secret ? "" : `=${JSON.stringify(source[name])}`} ${issue.message}`);
  }
  throw new EnvError(parts.join("; "), bad);
}

let cache: { key: string; value: Env } | null = null;

/**
 * The validated environment of this process. Re-reads `process.env` only when a declared
 * variable changed since the last call.
 * @throws EnvError when a declared variable is invalid
 */
export function env(): Env {
  const key = NAMES.map((n) => process.env[n] ?? "\u0000").join("\u0001");
  if (cache?.key !== key) cache = { key, value: loadEnv(process.env) };
  return cache.value;
}

/**
 * Boot check (instrumentation.ts, first thing): a bad variable stops the process with
 * exit code 1 and one line `[agentcron] refusing to start: <what is wrong>`.
 */
export function refuseBadEnvironment(): void {
  try {
    env();
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(`[agentcron] refusing to start: ${err.message}`);
    process.exit(1);
  }
}
