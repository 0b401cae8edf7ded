/**
 * Agentcron's access configuration, read from the environment, and the rule that
 * refuses to start an exposed server without a token (ADR 0004, API.md "Access").
 *
 * Plain JavaScript (typed by access-config.d.mts) because two kinds of code need the
 * same rule: the launcher scripts/start.mjs, which runs on plain Node before anything
 * is built, and the server (src/proxy.ts, src/lib/http/access.ts, the boot hook).
 */

/** Shortest accepted AGENTCRON_TOKEN, in characters. */
export const MIN_TOKEN_LENGTH = 32;

/** The hint every "set a token" message ends with. */
const TOKEN_HINT = "set AGENTCRON_TOKEN to a secret of at least 32 characters, e.g. AGENTCRON_TOKEN=$(openssl rand -hex 32)";

/** A bad AGENTCRON_* access variable; the message is one line a person can act on. */
export class AccessConfigError extends Error {
  constructor(message) {
    super(message);
    this.name = "AccessConfigError";
  }
}

/**
 * True for a loopback host name: `localhost`, any 127.0.0.0/8 address, `::1` (with or
 * without brackets). Anything else, `0.0.0.0` and `::` included, reaches beyond the machine.
 * @param {string} host a host name without a port
 */
export function isLoopbackHost(host) {
  const h = String(host).trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Default TCP port of a scheme (`http` → 80, `https` → 443). */
export function defaultPort(scheme) {
  return scheme === "https" ? 443 : 80;
}

/**
 * Parses one `scheme://host[:port]` origin (http or https, no path, query or credentials).
 * @returns {{origin: string, scheme: "http"|"https", hostname: string, port: number}}
 *   `hostname` lowercased, IPv6 in brackets; `port` explicit or the scheme's default.
 * @throws AccessConfigError naming the bad value
 */
export function parseOrigin(text) {
  const bad = () =>
    new AccessConfigError(`AGENTCRON_ALLOWED_ORIGINS: "${text}" is not an origin like https://cron.example.com or http://10.0.0.5:3000`);
  let url;
  try {
    url = new URL(text);
  } catch {
    throw bad();
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") throw bad();
  if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) throw bad();
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(text.trim())) throw bad();
  return { origin: url.origin, scheme, hostname: url.hostname.toLowerCase(), port: url.port ? Number(url.port) : defaultPort(scheme) };
}

/**
 * Reads the access variables:
 * - `AGENTCRON_TOKEN` (≥ 32 characters; empty or unset → no authentication),
 * - `AGENTCRON_ALLOWED_ORIGINS` (comma-separated origins allowed besides loopback),
 * - `AGENTCRON_TRUST_PROXY` (`1` or `true` → honour X-Forwarded-Host/Proto).
 * @param {Record<string, string | undefined>} env
 * @throws AccessConfigError on a short token or a malformed origin
 */
export function readAccessConfig(env = process.env) {
  const rawToken = env.AGENTCRON_TOKEN ?? "";
  const token = rawToken === "" ? null : rawToken;
  if (token !== null && token.length < MIN_TOKEN_LENGTH) {
    throw new AccessConfigError(`AGENTCRON_TOKEN is ${token.length} characters long, too short to guess-proof: ${TOKEN_HINT}`);
  }
  const allowedOrigins = (env.AGENTCRON_ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseOrigin);
  const trustProxy = env.AGENTCRON_TRUST_PROXY === "1" || env.AGENTCRON_TRUST_PROXY === "true";
  return { token, allowedOrigins, trustProxy };
}

/**
 * The address this process listens on. Under the Next.js CLI (`next start|dev`) it is
 * the `-H`/`--hostname` argument, and without one Next listens on every interface
 * (reported as `0.0.0.0`); otherwise `env.HOST`, else `127.0.0.1` (what `npm start` uses).
 * @param {string[]} argv process.argv
 * @param {Record<string, string | undefined>} env
 */
export function listenHostOf(argv = process.argv, env = process.env) {
  const script = String(argv[1] ?? "").replace(/\\/g, "/");
  const isNextCli = /(^|\/)next(\/dist\/bin\/next)?(\.js)?$/.test(script) && (argv[2] === "start" || argv[2] === "dev");
  if (!isNextCli) return env.HOST || "127.0.0.1";
  for (let i = 3; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-H" || arg === "--hostname") return argv[i + 1] ?? "0.0.0.0";
    if (arg.startsWith("--hostname=")) return arg.slice("--hostname=".length);
  }
  return "0.0.0.0";
}

/**
 * Why this server must not start, as one line, or null when it may. Refuses a bad
 * access variable, and listening beyond loopback without AGENTCRON_TOKEN: Agentcron runs
 * commands by design, so an open port on the network is a shell for whoever reaches it.
 * @param {Record<string, string | undefined>} env
 * @param {string} listenHost where the server listens (see listenHostOf)
 */
export function startRefusal(env, listenHost) {
  let config;
  try {
    config = readAccessConfig(env);
  } catch (err) {
    return `[agentcron] refusing to start: ${err.message}`;
  }
  if (!isLoopbackHost(listenHost) && !config.token) {
    return `[agentcron] refusing to start: listening on ${listenHost} would let anyone on the network run commands through Agentcron; ${TOKEN_HINT} (or listen on HOST=127.0.0.1).`;
  }
  return null;
}
