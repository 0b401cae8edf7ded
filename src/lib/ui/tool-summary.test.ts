import { describe, expect, it } from "vitest";
import { TOOL_SUMMARY_MAX, toolCallSummary } from "./tool-summary";

describe("toolCallSummary", () => {
  it("shows the command of a Bash call, the path of a file tool, the pattern of a search", () => {
    expect(toolCallSummary({ command: "npm test -- --run", description: "Run tests" })).toBe("npm test -- --run");
    expect(toolCallSummary({ file_path: "/repo/src/a.ts", old_string: "x", new_string: "y" })).toBe("/repo/src/a.ts");
    expect(toolCallSummary({ pattern: "TODO", path: "src" })).toBe("TODO");
    expect(toolCallSummary({ command: ["git", "status"] })).toBe("git status");
  });

  it("falls back to the first string argument, collapses whitespace, cuts long text, and says nothing for nothing", () => {
    expect(toolCallSummary({ n: 3, label: "first\n  second" })).toBe("first second");
    expect(toolCallSummary("ls -la")).toBe("ls -la");
    const long = toolCallSummary({ command: "x".repeat(500) });
    expect(long).toHaveLength(TOOL_SUMMARY_MAX);
    expect(long.endsWith("…")).toBe(true);
    expect(toolCallSummary(null)).toBe("");
    expect(toolCallSummary({ n: 1 })).toBe("");
  });
});
