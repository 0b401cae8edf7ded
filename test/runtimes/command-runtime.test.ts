import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildArgv, commandRuntime } from "@/lib/runtimes/command";
import { commandConfigSchema } from "@/lib/runtimes/config";
import { collect, FIXTURES } from "./harness";

const AGENT = path.join(FIXTURES, "scripted-agent.mjs");
const cfg = (c: Record<string, unknown>) => commandConfigSchema.parse(c);

describe("command runtime", () => {
  it("a missing executable fails as runtime_missing_executable naming the path", async () => {
    const { result, results } = await collect(commandRuntime(cfg({ command: ["/opt/nope/agent-cli", "-p"] })));
    expect(results).toHaveLength(1);
    expect(result).toMatchObject({ status: "error", failureReason: "runtime_missing_executable" });
    expect(result?.error).toContain("/opt/nope/agent-cli");
  });

  it("a non-zero exit fails as process_failure with the last stderr lines", async () => {
    const { events, result } = await collect(commandRuntime(cfg({ command: [process.execPath, AGENT, "--format", "codex-json", "--turns", "3", "--crash"], outputFormat: "codex-json" })));
    expect(result).toMatchObject({ status: "error", failureReason: "process_failure", turns: 1 });
    expect(result?.error).toContain("exited with code 3");
    expect(result?.error).toContain("fatal: scripted crash");
    expect(events.filter((e) => e.type === "stderr").map((e) => (e as { line: string }).line)).toContain("fatal: scripted crash");
  });

  it("text output is one turn whose stdout is the result; the prompt goes in as an argument", async () => {
    const { events, result } = await collect(commandRuntime(cfg({ command: ["sh", "-c", 'echo "got: $1"; echo line two', "sh", "{prompt}"], promptVia: "arg" })), { prompt: "it's $HOME; rm -rf /" });
    expect(result).toMatchObject({ status: "success", turns: 1, text: "got: it's $HOME; rm -rf /\nline two" });
    expect(events.filter((e) => e.type === "assistant")).toHaveLength(1);
  });

  it("keeps the tail of a long text output as the result", async () => {
    const script = 'for (let i = 0; i < 5000; i++) console.log(String(i).padStart(5, "0") + "x".repeat(45)); console.log("the answer")';
    const { result } = await collect(commandRuntime(cfg({ command: [process.execPath, "-e", script] })));
    expect(result?.status).toBe("success");
    expect(result!.text!.length).toBeLessThanOrEqual(100_000);
    expect(result!.text!.length).toBeGreaterThan(90_000);
    expect(result!.text!.endsWith("the answer")).toBe(true);
  });

  it("passes the prompt on stdin, the cwd and the extra env (with ${NAME} references)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmd-cwd-"));
    process.env.CMD_TEST_TEAM_KEY = "team-secret";
    const runtime = commandRuntime(
      cfg({ command: ["sh", "-c", 'read line; echo "$line|$(pwd)|$GREETING|$RUN_VAR|$OPENAI_API_KEY|${MISSING_TOKEN-unset}"'], env: { GREETING: "hi", OPENAI_API_KEY: "${CMD_TEST_TEAM_KEY}", MISSING_TOKEN: "${CMD_TEST_NOT_SET}" } }),
    );
    const { result } = await collect(runtime, { prompt: "from stdin", cwd: dir, env: { RUN_VAR: "run" } });
    // `${NAME}` references are read from the server's environment at run time; unset ones are left out.
    expect(result?.text).toBe(`from stdin|${fs.realpathSync(dir)}|hi|run|team-secret|unset`);
  });

  it("a CLI that stops itself at --max-turns {maxTurns} maps error_max_turns to max_turns", async () => {
    const runtime = commandRuntime(cfg({ command: [process.execPath, AGENT, "--turns", "9", "--max-turns", "{maxTurns}"], outputFormat: "claude-stream-json" }));
    const { result } = await collect(runtime, { maxTurns: 3 });
    expect(result).toMatchObject({ status: "max_turns", turns: 3 });
  });

  it("keeps the last allowed turn's events when the next assistant message follows it back to back", async () => {
    // Two assistant messages with no tool result between them: the second one completes
    // the first (turn 1, within budget) and begins turn 2 (beyond it) in the same line.
    const lines = [
      { type: "system", subtype: "init", session_id: "s-b2b" },
      { type: "assistant", session_id: "s-b2b", message: { id: "m1", content: [{ type: "text", text: "first answer" }, { type: "tool_use", id: "t1", name: "Read", input: { path: "a" } }] } },
      { type: "assistant", session_id: "s-b2b", message: { id: "m2", content: [{ type: "text", text: "second answer" }] } },
    ];
    const script = `for (const l of ${JSON.stringify(lines)}) console.log(JSON.stringify(l)); setTimeout(() => {}, 30000);`;
    const { events, result } = await collect(commandRuntime(cfg({ command: [process.execPath, "-e", script], outputFormat: "claude-stream-json" }), { killGraceMs: 200 }), { maxTurns: 1 });
    expect(result).toMatchObject({ status: "max_turns", turns: 1 });
    expect(events.filter((e) => e.type === "assistant")).toEqual([{ type: "assistant", text: "first answer" }]);
    expect(events.filter((e) => e.type === "tool_call")).toEqual([{ type: "tool_call", id: "t1", name: "Read", input: { path: "a" } }]);
  });

  it("builds the resume argv: resumeCommand, or --resume for claude-stream-json", () => {
    const claude = cfg({ command: ["claude", "-p", "--max-turns", "{maxTurns}"], outputFormat: "claude-stream-json" });
    expect(buildArgv(claude, { prompt: "p", maxTurns: 7, resumeSessionId: "s1" })).toEqual(["claude", "-p", "--max-turns", "7", "--resume", "s1"]);
    const codex = cfg({ command: ["codex", "exec", "--json", "{prompt}"], promptVia: "arg", outputFormat: "codex-json", resumeCommand: ["codex", "exec", "--json", "resume", "{sessionId}", "{prompt}"] });
    expect(buildArgv(codex, { prompt: "go on", maxTurns: 5, resumeSessionId: "t-9" })).toEqual(["codex", "exec", "--json", "resume", "t-9", "go on"]);
    expect(buildArgv(codex, { prompt: "start", maxTurns: 5 })).toEqual(["codex", "exec", "--json", "start"]);
  });

  it("an abort before start answers aborted without spawning", async () => {
    const controller = new AbortController();
    controller.abort("cancelled");
    const { result } = await collect(commandRuntime(cfg({ command: ["/opt/nope"] })), { signal: controller.signal });
    expect(result).toMatchObject({ status: "error", failureReason: "aborted" });
  });
});
