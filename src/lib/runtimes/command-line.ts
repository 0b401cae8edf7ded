/**
 * A pasted command line ↔ the argv a `command` runtime spawns (no shell runs it).
 * Splitting follows POSIX shell-words rules (quotes, backslashes) through `shell-quote`;
 * `$NAME` stays literal (nothing is expanded), a glob stays its pattern, and shell
 * operators (pipes, redirects, `;`, `&&`) are refused because no shell would run them.
 * Client-safe: the runtime dialog shows the argv it will save.
 */
import { parse, quote } from "shell-quote";

export type SplitCommandLine = { argv: string[]; error?: undefined } | { argv?: undefined; error: string };

/** Splits `line` into argv; `{error}` names what can't be run without a shell. */
export function splitCommandLine(line: string): SplitCommandLine {
  const argv: string[] = [];
  for (const entry of parse(line, (name) => `$${name}`)) {
    if (typeof entry === "string") argv.push(entry);
    else if ("comment" in entry) break;
    else if ("op" in entry && entry.op === "glob") argv.push(entry.pattern);
    else if ("op" in entry) return { error: `"${entry.op}" needs a shell, and none runs the command: wrap it as sh -c '…' if you need one` };
  }
  return { argv };
}

const PLAIN = /^[A-Za-z0-9_\-.,/:=@%+{}]+$/;

/** argv → one command line that splitCommandLine reads back to the same argv. */
export function joinCommandLine(argv: readonly string[]): string {
  return argv.map((a) => (PLAIN.test(a) ? a : quote([a]))).join(" ");
}
