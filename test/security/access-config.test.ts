/** The start rule shared by scripts/start.mjs and the boot hook (ADR 0004). */
import { describe, expect, it } from "vitest";
import { isLoopbackHost, listenHostOf, readAccessConfig, startRefusal } from "@/lib/http/access-config.mjs";

const TOKEN = "x".repeat(32);
const NEXT = ["/usr/bin/node", "/app/node_modules/next/dist/bin/next"];

describe("startRefusal", () => {
  it.each(["0.0.0.0", "::", "192.168.1.20", "cron.example.com", "[::]"])("refuses HOST=%s without a token, in one line naming AGENTCRON_TOKEN", (host) => {
    const reason = startRefusal({}, host);
    expect(reason).toMatch(/^\[agentcron\] refusing to start: listening on .* AGENTCRON_TOKEN .*32 characters/);
    expect(reason).not.toContain("\n");
    expect(startRefusal({ AGENTCRON_TOKEN: TOKEN }, host)).toBeNull();
  });

  it.each(["127.0.0.1", "localhost", "::1", "[::1]", "127.0.1.1"])("lets loopback %s start without a token", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(startRefusal({}, host)).toBeNull();
  });

  it("refuses a token shorter than 32 characters and a malformed allowed origin", () => {
    expect(startRefusal({ AGENTCRON_TOKEN: "x".repeat(31) }, "127.0.0.1")).toMatch(/AGENTCRON_TOKEN is 31 characters long/);
    for (const bad of ["cron.example.com", "ftp://x.example", "https://x.example/path", "https://user:pw@x.example", "https://x.example?q=1"]) {
      expect(startRefusal({ AGENTCRON_ALLOWED_ORIGINS: bad }, "127.0.0.1"), bad).toMatch(/AGENTCRON_ALLOWED_ORIGINS: ".*" is not an origin/);
    }
  });
});

describe("readAccessConfig", () => {
  it("parses origins with default ports, trims, and reads TRUST_PROXY strictly", () => {
    const config = readAccessConfig({ AGENTCRON_ALLOWED_ORIGINS: " https://Cron.Example.com/ ,http://10.0.0.5:8080,", AGENTCRON_TRUST_PROXY: "1" });
    expect(config).toEqual({
      token: null,
      trustProxy: true,
      allowedOrigins: [
        { origin: "https://cron.example.com", scheme: "https", hostname: "cron.example.com", port: 443 },
        { origin: "http://10.0.0.5:8080", scheme: "http", hostname: "10.0.0.5", port: 8080 },
      ],
    });
    expect(readAccessConfig({ AGENTCRON_TRUST_PROXY: "yes" }).trustProxy).toBe(false);
    expect(readAccessConfig({ AGENTCRON_TOKEN: "" }).token).toBeNull();
  });
});

describe("listenHostOf", () => {
  it("reads -H/--hostname under `next start|dev`, and Next's all-interfaces default without one", () => {
    expect(listenHostOf([...NEXT, "start", "-H", "127.0.0.1", "-p", "3000"], {})).toBe("127.0.0.1");
    expect(listenHostOf([...NEXT, "dev", "--hostname", "0.0.0.0"], {})).toBe("0.0.0.0");
    expect(listenHostOf([...NEXT, "start", "--hostname=::1"], {})).toBe("::1");
    expect(listenHostOf([...NEXT, "start", "-p", "3000"], { HOST: "127.0.0.1" })).toBe("0.0.0.0");
    expect(listenHostOf(["/usr/bin/node", "/app/node_modules/.bin/next", "start"], {})).toBe("0.0.0.0");
  });

  it("uses HOST (default 127.0.0.1) outside the Next CLI", () => {
    expect(listenHostOf(["/usr/bin/node", "/app/node_modules/vitest/vitest.mjs", "run"], {})).toBe("127.0.0.1");
    expect(listenHostOf(["/usr/bin/node", "server.js"], { HOST: "0.0.0.0" })).toBe("0.0.0.0");
  });
});
