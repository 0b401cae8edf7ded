import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { RuntimeRow } from "../db/schema";
import { runtimeKindConfigSchema, type CommandConfig } from "./config";

/*
 * "Runnable" rule (one place, issue 13 item 1): a runtime can start a run when its stored
 * config is valid and — for a `command` runtime — its executable (argv[0]) resolves to an
 * executable file, as a path (relative to the runtime's cwd) or by a PATH lookup, the way
 * spawn() without a shell resolves it; for a `claude-agent-sdk` runtime with an explicit
 * `executable`, that file exists. API runtimes (openai-compatible, the SDK's bundled
 * binary) are runnable once they exist: reachability and credentials are what "Test
 * runtime" checks, not a save.
 */

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves a program name the way spawn() does without a shell: a name containing a
 * slash is a path (relative to `cwd`); a bare name is looked up in each PATH directory.
 * @param pathEnv the PATH to search (default: the server's, which agents inherit).
 * @returns the absolute path of the executable file, or null when none is found.
 */
export function resolveExecutable(program: string, { cwd = process.cwd(), pathEnv = process.env.PATH ?? "" }: { cwd?: string; pathEnv?: string } = {}): string | null {
  if (!program) return null;
  if (program.includes("/") || program.includes(path.sep)) {
    const file = path.resolve(cwd, program);
    return isExecutableFile(file) ? file : null;
  }
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, program);
    if (isExecutableFile(file)) return file;
  }
  return null;
}

/**
 * Why a command config can't start, or null when its executable resolves.
 * The message is a field message for `config.command` (it follows the field name).
 */
export function commandExecutableProblem(config: Pick<CommandConfig, "command" | "cwd" | "env">): string | null {
  const program = config.command[0] ?? "";
  const pathEnv = config.env?.PATH && !config.env.PATH.startsWith("${") ? config.env.PATH : process.env.PATH;
  if (resolveExecutable(program, { cwd: config.cwd, pathEnv })) return null;
  if (/\s/.test(program.trim())) {
    return `starts with "${program}", which is not a program: give the program and each argument as separate items (e.g. "node", "agent.mjs")`;
  }
  return program.includes("/")
    ? `names "${program}", which is not an executable file on this machine`
    : `names "${program}", which is not found on the server's PATH; install it or give its full path`;
}

/**
 * Why a stored runtime can't start a run, or null when it is runnable (rule above).
 * Never throws.
 */
export function runtimeRunProblem(row: RuntimeRow): string | null {
  const parsed = runtimeKindConfigSchema.safeParse({ kind: row.kind, config: row.config });
  if (!parsed.success) return `runtime "${row.name}" has an invalid ${row.kind} config; fix it in Settings`;
  const spec = parsed.data;
  if (spec.kind === "command") {
    const problem = commandExecutableProblem(spec.config);
    return problem ? `runtime "${row.name}" can't start: its command ${problem}` : null;
  }
  if (spec.kind === "claude-agent-sdk" && spec.config.executable && !isExecutableFile(path.resolve(spec.config.cwd ?? process.cwd(), spec.config.executable))) {
    return `runtime "${row.name}" can't start: its executable "${spec.config.executable}" is not an executable file`;
  }
  return null;
}
