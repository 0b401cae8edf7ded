import { describe, expect, it } from "vitest";
import type { RuntimeDto } from "@/lib/ui/types";
import { formFieldOf, initialValues, runtimeFormSchema, toConfig, type RuntimeFormValues } from "./schema";

const values = (over: Partial<RuntimeFormValues>): RuntimeFormValues => ({ ...initialValues(null), ...over });
/** The form field → message map the resolver would show. */
function issues(v: RuntimeFormValues): Record<string, string> {
  const r = runtimeFormSchema.safeParse(v);
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
}
const stored = (kind: RuntimeDto["kind"], config: Record<string, unknown>): RuntimeDto => ({
  id: "r1",
  name: "Stored",
  kind,
  config,
  isDefault: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

describe("runtime dialog form model", () => {
  it("refuses an empty name and an empty command line with the server's messages", () => {
    expect(issues(values({}))).toEqual({ name: "is required", command: "must name the executable" });
  });

  it("refuses a line that needs a shell under command", () => {
    expect(issues(values({ name: "x", command: "node a.mjs > out.log" })).command).toMatch(/needs a shell/);
  });

  it("puts config-shape issues on their inputs (env names, URLs, key variable names)", () => {
    expect(issues(values({ name: "x", command: "node a.mjs", env: "1BAD=x" }))).toHaveProperty("env");
    const openai = issues(values({ name: "x", kind: "openai-compatible", baseUrl: "ftp://h", model: "", apiKeyEnv: "OPENAI_URL" }));
    expect(Object.keys(openai).sort()).toEqual(["apiKeyEnv", "baseUrl", "model"]);
    expect(openai.apiKeyEnv).toMatch(/must name a key variable/);
    expect(issues(values({ name: "x", kind: "claude-agent-sdk", apiKeyEnv: "AGENTCRON_TOKEN" })).apiKeyEnv).toMatch(/Agentcron's own/);
  });

  it("leaves the literal-secret scan to the server (its 400 fields land under env)", () => {
    expect(issues(values({ name: "x", command: "node a.mjs", env: "OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789" }))).toEqual({});
    expect(formFieldOf("config.env.OPENAI_API_KEY")).toBe("env");
    expect(formFieldOf("config.command")).toBe("command");
    expect(formFieldOf("config.command.0")).toBe("command");
    expect(formFieldOf("config.apiKeyEnv")).toBe("apiKeyEnv");
    expect(formFieldOf("name")).toBe("name");
    expect(formFieldOf("config.resumeCommand")).toBe("form");
    expect(formFieldOf("config")).toBe("form");
  });

  it("keeps the stored keys it doesn't edit while the kind is unchanged, and drops them on a kind change", () => {
    const original = stored("command", { command: ["node", "a.mjs"], resumeCommand: ["node", "a.mjs", "--resume", "{sessionId}"] });
    const v = initialValues(original);
    expect(toConfig(v, original)).toEqual({ command: ["node", "a.mjs"], promptVia: "stdin", outputFormat: "text", resumeCommand: ["node", "a.mjs", "--resume", "{sessionId}"] });
    expect(toConfig({ ...v, kind: "openai-compatible", baseUrl: "http://h/v1", model: "m" }, original)).toEqual({ baseUrl: "http://h/v1", model: "m" });
    const openai = stored("openai-compatible", { baseUrl: "http://h/v1", model: "m", allowShell: true });
    expect(toConfig(initialValues(openai), openai)).toEqual({ baseUrl: "http://h/v1", model: "m", allowShell: true });
  });
});
