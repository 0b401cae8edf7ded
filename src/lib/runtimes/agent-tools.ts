import "server-only";
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { tool } from "ai";
import { z } from "zod";
import { agentEnv } from "./agent-env";
import { killGroupLeftovers, killProcessTree, trackProcessGroup } from "./process-tree";

/** Output kept from a tool (chars): the model's context is the limit, not the disk. */
const MAX_TOOL_OUTPUT = 20_000;
/** A shell command's own time limit (ms); the run's lease still bounds the whole task. */
const SHELL_TIMEOUT_MS = 120_000;

function clip(text: string): string {
  return text.length > MAX_TOOL_OUTPUT ? `${text.slice(0, MAX_TOOL_OUTPUT)}\n… (${text.length - MAX_TOOL_OUTPUT} more characters cut)` : text;
}

/**
 * Runs `sh -c command` in `cwd` as its own process group with the agent environment
 * (agentEnv: the base variables plus `env`, never the server's environment); on abort
 * or timeout the whole tree is killed (SIGTERM, SIGKILL after `killGraceMs`). Resolves
 * with combined output and the exit code; never rejects.
 */
export function runShell(
  command: string,
  cwd: string,
  signal: AbortSignal | undefined,
  killGraceMs: number,
  env: Record<string, string> = {},
  onProcessGroup?: (pgid: number) => void,
): Promise<{ output: string; exitCode: number | null }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { cwd, env: agentEnv({ run: env }) as NodeJS.ProcessEnv, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const group = trackProcessGroup(child, onProcessGroup);
    let output = "";
    const append = (d: Buffer) => {
      if (output.length < MAX_TOOL_OUTPUT * 2) output += d.toString();
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    let killing: Promise<unknown> | null = null;
    const kill = () => {
      if (child.pid && child.exitCode === null) killing ??= killProcessTree(child.pid, killGraceMs);
    };
    const timer = setTimeout(kill, SHELL_TIMEOUT_MS);
    signal?.addEventListener("abort", kill, { once: true });
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ output: `could not run sh: ${err.message}`, exitCode: null });
    });
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- nothing in the handler throws; it only waits for the kill to finish
    child.on("close", async (code) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", kill);
      if (killing) await killing;
      // The command is done; what it left running in its process group (`cmd &`) goes too.
      else killGroupLeftovers(group, child.pid);
      resolve({ output: clip(output), exitCode: code });
    });
  });
}

export interface AgentToolOptions {
  /** SIGTERM → SIGKILL grace for shell processes (ms). */
  killGraceMs: number;
  /** Offer `run_shell` (the runtime config's `allowShell`); off by default (ADR 0008). */
  shell?: boolean;
  /** The run's extra variables for shell processes (on top of the agent base environment). */
  env?: Record<string, string>;
  /** Called with each shell's process group id, so the task row records it (ADR 0005). */
  onProcessGroup?: (pgid: number) => void;
}

/**
 * The tool set of the openai-compatible runtime, working in `cwd`: read a file, list a
 * directory and — only when `options.shell` — run a shell command. Paths are resolved
 * against `cwd`; the agent has the server user's file permissions, like the other
 * runtimes' agents.
 */
export function agentTools(cwd: string, options: AgentToolOptions) {
  const resolve = (p: string) => path.resolve(cwd, p);
  const files = {
    read_file: tool({
      description: "Read a UTF-8 text file. Paths are relative to the working directory.",
      inputSchema: z.object({ path: z.string().describe("file path") }),
      execute: async ({ path: p }) => {
        try {
          return clip(await fs.readFile(resolve(p), "utf8"));
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
      },
    }),
    list_directory: tool({
      description: "List the entries of a directory (a trailing / marks directories).",
      inputSchema: z.object({ path: z.string().default(".").describe("directory path") }),
      execute: async ({ path: p }) => {
        try {
          const entries = await fs.readdir(resolve(p), { withFileTypes: true });
          return clip(entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort().join("\n"));
        } catch (err) {
          return `error: ${(err as Error).message}`;
        }
      },
    }),
  };
  if (!options.shell) return files;
  return {
    ...files,
    run_shell: tool({
      description: "Run a shell command (sh -c) in the working directory; returns its output and exit code.",
      inputSchema: z.object({ command: z.string().min(1).describe("the command line") }),
      execute: async ({ command }, { abortSignal }) => {
        const { output, exitCode } = await runShell(command, cwd, abortSignal, options.killGraceMs, options.env, options.onProcessGroup);
        return `exit code: ${exitCode ?? "killed"}\n${output}`;
      },
    }),
  };
}
