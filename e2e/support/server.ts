/**
 * Starts the real production server (`next start`) on a free loopback port with its
 * own temp data directory, and waits for /api/health. Each spec starts its own, so
 * settings and data never leak between specs.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
// @ts-expect-error plain ESM script without types
import { spawnNextStart } from "../../scripts/launch.mjs";


export interface TestServer {
  baseURL: string;
  dataDir: string;
  process: ChildProcess;
  /** Server output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  /** fetch() against the server with JSON helpers; same-origin headers included. */
  api<T = any>(pathname: string, init?: { method?: string; json?: unknown; headers?: Record<string, string> }): Promise<{ status: number; data: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `dataDir`: start on an existing data directory (a restart after a crash); default a new temp one. */
export async function startServer(opts: { env?: Record<string, string>; timeoutMs?: number; dataDir?: string } = {}): Promise<TestServer> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "agentcron-e2e-"));
  let output = "";
  // Like `npm start` (scripts/launch.mjs): the boot hook owns SIGTERM and stops agent runs before exiting.
  const child: ChildProcess = spawnNextStart({
    host: "127.0.0.1",
    port,
    // No token or extra origins unless a spec asks (a developer's own AGENTCRON_* must not leak in).
    env: { AGENTCRON_DATA_DIR: dataDir, AGENTCRON_TOKEN: "", AGENTCRON_ALLOWED_ORIGINS: "", AGENTCRON_TRUST_PROXY: "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const baseURL = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${baseURL}/api/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become healthy in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const server: TestServer = {
    baseURL,
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          child.kill("SIGTERM");
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            // already gone
          }
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async api(pathname, init = {}) {
      const res = await fetch(`${baseURL}${pathname}`, {
        method: init.method ?? "GET",
        headers: { ...(init.json !== undefined ? { "content-type": "application/json" } : {}), origin: baseURL, ...init.headers },
        body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
      });
      const text = await res.text();
      return { status: res.status, data: text ? JSON.parse(text) : null };
    },
  };
  return server;
}
