/**
 * src/lib/env.ts: every variable declared once, validated with zod, defaults applied,
 * a bad value refused with the variable named — in a real process at boot too.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ENV_DECLARATIONS, EnvError, env, loadEnv } from "@/lib/env";
import { SETTING_DEFINITIONS } from "@/lib/config/setting-definitions";

const root = path.resolve(import.meta.dirname, "..");
const TOKEN = "t".repeat(40);

/** The EnvError loadEnv throws for `source` (fails the test when it does not throw). */
function refusal(source: Record<string, string>): EnvError {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error(`loadEnv accepted ${JSON.stringify(source)}`);
}

describe("loadEnv", () => {
  it("applies the documented defaults when nothing is set", () => {
    expect(loadEnv({})).toEqual({
      HOST: "127.0.0.1",
      PORT: 3000,
      AGENTCRON_TOKEN: null,
      AGENTCRON_ALLOWED_ORIGINS: [],
      AGENTCRON_TRUST_PROXY: false,
      AGENTCRON_DATA_DIR: "./data",
      AGENTCRON_MIGRATIONS_DIR: undefined,
      DATABASE_URL: undefined,
      AGENTCRON_RUNNER_CAPACITY: undefined,
      AGENTCRON_RUNNER_LABELS: [],
      AGENTCRON_WORKER_PORT: 3101,
      AGENTCRON_WORKER_HOST: "127.0.0.1",
      AGENTCRON_EXECUTOR: "thread",
      AGENTCRON_AGENT_NICE: 10,
      AGENTCRON_SPAWNERS: 2,
      AGENTCRON_SPAWNER: "auto",
      AGENTCRON_QUIET_COLLECTION: "on",
      SCHEDULE_MAX_CONCURRENT: undefined,
      SCHEDULE_MAX_RUN_DURATION_SEC: undefined,
      SCHEDULE_CHAT_PRESSURE_DELAY_SEC: undefined,
      AGENTCRON_RETRY_BACKOFF_SEC: [60_000, 300_000, 900_000],
      AGENTCRON_SSE_KEEPALIVE_MS: 15_000,
      AGENTCRON_OLLAMA_URL: undefined,
      NEXT_MANUAL_SIG_HANDLE: false,
    });
  });

  it("treats a blank value as unset", () => {
    expect(loadEnv({ PORT: "", AGENTCRON_TOKEN: "  ", SCHEDULE_MAX_CONCURRENT: "" })).toMatchObject({ PORT: 3000, AGENTCRON_TOKEN: null, SCHEDULE_MAX_CONCURRENT: undefined });
  });

  it("parses typed values (units as declared: backoff seconds → ms)", () => {
    const e = loadEnv({
      PORT: "4123",
      AGENTCRON_TOKEN: TOKEN,
      AGENTCRON_ALLOWED_ORIGINS: "https://cron.example.com, http://10.0.0.5:8080",
      AGENTCRON_TRUST_PROXY: "TRUE",
      DATABASE_URL: "postgres://agentcron:pw@db.internal:5432/agentcron",
      AGENTCRON_RUNNER_CAPACITY: "4",
      SCHEDULE_MAX_CONCURRENT: "8",
      AGENTCRON_RETRY_BACKOFF_SEC: "1, 2.5",
      AGENTCRON_SSE_KEEPALIVE_MS: "20",
      NEXT_MANUAL_SIG_HANDLE: "true",
      AGENTCRON_EXECUTOR: "inline",
    });
    expect(e).toMatchObject({
      PORT: 4123,
      AGENTCRON_TOKEN: TOKEN,
      AGENTCRON_TRUST_PROXY: true,
      DATABASE_URL: "postgres://agentcron:pw@db.internal:5432/agentcron",
      AGENTCRON_RUNNER_CAPACITY: 4,
      SCHEDULE_MAX_CONCURRENT: 8,
      AGENTCRON_RETRY_BACKOFF_SEC: [1000, 2500],
      AGENTCRON_SSE_KEEPALIVE_MS: 20,
      NEXT_MANUAL_SIG_HANDLE: true,
      AGENTCRON_EXECUTOR: "inline",
    });
    expect(e.AGENTCRON_ALLOWED_ORIGINS.map((o) => o.origin)).toEqual(["https://cron.example.com", "http://10.0.0.5:8080"]);
    expect(loadEnv({ DATABASE_URL: "postgresql://localhost/agentcron" }).DATABASE_URL).toBe("postgresql://localhost/agentcron");
    expect(loadEnv({ DATABASE_URL: "postgresql:///agentcron?host=/run/postgresql" }).DATABASE_URL).toBe("postgresql:///agentcron?host=/run/postgresql");
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["AGENTCRON_RUNNER_CAPACITY", "0"],
    ["AGENTCRON_RUNNER_CAPACITY", "-1"],
    ["AGENTCRON_RUNNER_CAPACITY", "1.5"],
    ["AGENTCRON_RUNNER_CAPACITY", "many"],
    ["SCHEDULE_MAX_CONCURRENT", String(SETTING_DEFINITIONS.maxConcurrent.max + 1)],
    ["SCHEDULE_MAX_RUN_DURATION_SEC", "-5"],
    ["AGENTCRON_RETRY_BACKOFF_SEC", "60,five"],
    ["AGENTCRON_SSE_KEEPALIVE_MS", "0"],
    ["AGENTCRON_TRUST_PROXY", "yes"],
    ["AGENTCRON_ALLOWED_ORIGINS", "ftp://cron.example.com"],
    ["AGENTCRON_EXECUTOR", "process"],
    ["AGENTCRON_AGENT_NICE", "20"],
    ["AGENTCRON_AGENT_NICE", "-5"],
    ["AGENTCRON_SPAWNERS", "9"],
    ["AGENTCRON_SPAWNER", "python"],
  ])("refuses %s=%s, naming the variable and the value", (name, value) => {
    const err = refusal({ [name]: value });
    expect(err.variables).toEqual([name]);
    expect(err.message).toContain(name);
    expect(err.message).not.toContain("\n");
  });

  it("refuses a DATABASE_URL that is not PostgreSQL without echoing it (it holds a password)", () => {
    for (const url of ["mysql://u:hunter2@h/db", "hunter2", "sqlite:./hunter2.db"]) {
      const err = refusal({ DATABASE_URL: url });
      expect(err.variables).toEqual(["DATABASE_URL"]);
      expect(err.message).toMatch(/^DATABASE_URL must be a PostgreSQL URL/);
      expect(err.message).not.toContain("hunter2");
    }
  });

  it("refuses a short AGENTCRON_TOKEN with the access rule's message, never echoing the token", () => {
    const err = refusal({ AGENTCRON_TOKEN: "secret-but-short" });
    expect(err.message).toMatch(/^AGENTCRON_TOKEN is 16 characters long/);
    expect(err.message).not.toContain("secret-but-short");
  });

  it("names every bad variable on one line", () => {
    const err = refusal({ PORT: "x", AGENTCRON_RUNNER_CAPACITY: "0", HOST: "localhost" });
    expect(err.variables).toEqual(["PORT", "AGENTCRON_RUNNER_CAPACITY"]);
    expect(err.message.split("; ")).toHaveLength(2);
  });

  it("documents every declared variable, and README's configuration tables list each one people set", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    for (const [name, d] of Object.entries(ENV_DECLARATIONS)) {
      expect(d.doc.length, name).toBeGreaterThan(20);
      expect(d.default, name).not.toBe("");
      if (!d.internal) expect(readme, `README.md lists ${name}`).toMatch(new RegExp(`^\\| [^|]*\`${name}\``, "m"));
    }
  });
});

describe("env()", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("sees a variable a test changes between cases, and refuses a bad one", () => {
    vi.stubEnv("AGENTCRON_RUNNER_CAPACITY", "3");
    expect(env().AGENTCRON_RUNNER_CAPACITY).toBe(3);
    vi.stubEnv("AGENTCRON_RUNNER_CAPACITY", "5");
    expect(env().AGENTCRON_RUNNER_CAPACITY).toBe(5);
    vi.stubEnv("AGENTCRON_RUNNER_CAPACITY", "zero");
    expect(() => env()).toThrow(/AGENTCRON_RUNNER_CAPACITY="zero"/);
    vi.unstubAllEnvs();
    expect(env().AGENTCRON_RUNNER_CAPACITY).toBeUndefined();
  });
});

describe("boot (instrumentation.ts register) in a real process", () => {
  const boot = (extra: Record<string, string>) =>
    spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "-e", 'import("./instrumentation.ts").then((m) => (m.register ?? m.default.register)())'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NEXT_RUNTIME: "nodejs", ...extra },
      encoding: "utf8",
      timeout: 30_000,
    });

  it("refuses to start on a bad value: exit 1 and one line naming the variable", () => {
    const res = boot({ AGENTCRON_RUNNER_CAPACITY: "0" });
    expect(res.status).toBe(1);
    expect(res.stderr.trim().split("\n")).toEqual(['[agentcron] refusing to start: AGENTCRON_RUNNER_CAPACITY="0" must be a whole number between 1 and 1000']);
  });

  it("refuses a malformed DATABASE_URL the same way", () => {
    const res = boot({ DATABASE_URL: "sqlite:./data/agentcron.db" });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^\[agentcron\] refusing to start: DATABASE_URL must be a PostgreSQL URL/);
  });
});
