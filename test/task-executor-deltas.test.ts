import { describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { taskEvents } from "@/lib/db/schema";
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
    const rows = getDb().select().from(taskEvents).where(eq(taskEvents.taskId, task.id)).all();
    expect(rows.map((r) => r.type)).toEqual(["assistant", "result"]);
  });
});
