import path from "node:path";
import { commandRuntime } from "@/lib/runtimes/command";
import { commandConfigSchema, type CommandOutputFormat } from "@/lib/runtimes/config";
import { FIXTURES, type Harness, type Scenario } from "./harness";

const AGENT = path.join(FIXTURES, "scripted-agent.mjs");

/** The command kind driving the scripted CLI agent in one output format. */
export function commandHarness(format: Extract<CommandOutputFormat, "claude-stream-json" | "codex-json">): Harness {
  return {
    name: `command (${format})`,
    resumes: true,
    reportsCost: format === "claude-stream-json",
    hasBaseUrl: true,
    runtime(s: Scenario) {
      const flags = ["--format", format, "--turns", String(s.turns)];
      if (s.delayMs) flags.push("--delay-ms", String(s.delayMs));
      // Stubborn: the agent ignores SIGTERM, so the SIGKILL path is exercised too.
      if (s.hangWithProcesses) flags.push("--hang", "--children", "2", "--stubborn");
      if (s.httpStatus === 401) flags.push("--api-error", "auth");
      if (s.httpStatus === 429) flags.push("--api-error", "rate_limit");
      if (s.badBaseUrl) flags.push("--api-error", "network");
      const config = commandConfigSchema.parse({
        command: [process.execPath, AGENT, ...flags],
        promptVia: "stdin",
        outputFormat: format,
        resumeCommand: [process.execPath, AGENT, ...flags, "--resume", "{sessionId}"],
      });
      return commandRuntime(config, { killGraceMs: 500 });
    },
    resumedMarker: (sessionId) => `resumed ${sessionId}`,
  };
}
