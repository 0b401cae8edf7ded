/**
 * `npm run worker`: a headless runner (issue 14 item 4). It plans, claims and runs agents on
 * this machine against the shared database (PostgreSQL via DATABASE_URL, or a SQLite file
 * several processes share), with no UI and no API but `GET /api/health` on its own port:
 * AGENTCRON_WORKER_PORT (default 3101; 0 = any free port) on AGENTCRON_WORKER_HOST (default
 * 127.0.0.1), both validated in env.ts. SIGINT/SIGTERM stop it the way they stop the web server (boot.ts).
 */
import http from "node:http";
import { boot, bootState } from "../lib/boot";
import { env, refuseBadEnvironment } from "../lib/env";
import { APP_VERSION } from "../lib/version";

function healthServer(): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
      res.end(JSON.stringify(body));
    };
    const pathname = new URL(req.url ?? "/", "http://worker").pathname;
    if (pathname !== "/api/health") return send(404, { error: "not_found", message: "A worker serves only GET /api/health." });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(405, { error: "method_not_allowed", message: `${req.method} is not supported here; use GET, HEAD.` }, { Allow: "GET, HEAD" });
    }
    const state = bootState();
    if (!state.ready) {
      return send(503, { ok: false, error: "not_ready", message: state.error ?? "The worker is still booting; try again in a moment.", version: APP_VERSION });
    }
    send(200, { ok: true, version: APP_VERSION, runnerId: state.runnerId, kind: "worker" });
  });
}

async function main(): Promise<void> {
  // A bad variable stops the worker with one line naming it, as it stops the web server.
  refuseBadEnvironment();
  const { AGENTCRON_WORKER_PORT: port, AGENTCRON_WORKER_HOST: host } = env();
  const server = healthServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  console.log(`[agentcron] worker health on http://${host.includes(":") ? `[${host}]` : host}:${bound}/api/health`);
  try {
    await boot("worker");
  } catch {
    // boot() logged the reason; a worker that can't boot exits instead of idling unhealthy.
    process.exit(1);
  }
}

void main();
