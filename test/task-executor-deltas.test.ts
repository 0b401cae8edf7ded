import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { rowsOf } from "./support/rows";
import { executeTask } from "@/lib/runtimes/task-executor";
import { makeTask } from "./factories";
import { ScriptedRuntime, success } from "./support/scripted-runtime";

describe("executeTask and token deltas", () => {
  it("persists the whole assistant message and skips text_delta events", async () => {
    const task = await makeTask({ status: "running" });
    const runtime = new ScriptedRuntime([
      { type: "text_delta", text: "Hel" },
      { type: "text_delta", text: "lo" },
      { type: "assistant", text: "Hello" },
      success(1, { text: "Hello" }),
    ]);
    const outcome = await executeTask({ db: getDb(), taskId: task.id, runtime, prompt: "hi", maxTurns: 5, signal: new AbortController().signal });
    expect(outcome).toMatchObject({ status: "completed", turnCount: 1, result: "Hello" });
    const rows = (await rowsOf("taskEvents")).filter((e) => e.taskId === task.id).sort((a, b) => a.id - b.id);
    expect(rows.map((r) => r.type)).toEqual(["assistant", "result"]);
  });
});
