import { describe, expect, it } from "vitest";
import { joinCommandLine, splitCommandLine } from "./command-line";

describe("command line ↔ argv", () => {
  it("splits with shell-words rules: quotes, escapes, placeholders, $NAME kept literal", () => {
    expect(splitCommandLine("node agent.mjs --turns 4")).toEqual({ argv: ["node", "agent.mjs", "--turns", "4"] });
    expect(splitCommandLine(`claude -p "{prompt}" --max-turns {maxTurns}`)).toEqual({ argv: ["claude", "-p", "{prompt}", "--max-turns", "{maxTurns}"] });
    expect(splitCommandLine(`sh -c 'echo "$HOME"; ls *.txt' x\\ y ""`)).toEqual({ argv: ["sh", "-c", 'echo "$HOME"; ls *.txt', "x y", ""] });
    expect(splitCommandLine("agent $API_URL *.md # run it")).toEqual({ argv: ["agent", "$API_URL", "*.md"] });
  });

  it("refuses shell operators, which nothing would interpret", () => {
    expect(splitCommandLine("agent | tee log").error).toMatch(/"\|" needs a shell/);
    expect(splitCommandLine("agent > out.txt").error).toMatch(/">" needs a shell/);
    expect(splitCommandLine("a && b").error).toMatch(/needs a shell/);
  });

  it("joins argv back to a line that splits to the same argv", () => {
    for (const argv of [["node", "/srv/agent.mjs", "--format", "claude-stream-json"], ["sh", "-c", "echo $HOME; x", "{prompt}", "a b", "it's"], ["x", ""]]) {
      expect(splitCommandLine(joinCommandLine(argv))).toEqual({ argv });
    }
    expect(joinCommandLine(["codex", "exec", "--json", "{prompt}"])).toBe("codex exec --json {prompt}");
  });
});
