/**
 * The runtime contract, run against every kind with real processes and scripted
 * fixture servers: turns are agent turns, the turn budget stops the run, an abort
 * leaves no process behind, resume passes the session, usage/cost are mapped, and
 * HTTP/network failures get their explicit failure class.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { executeTask } from "@/lib/runtimes/task-executor";
import { makeTask, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";
import { taskById } from "../support/scheduler-harness";
import { alive, collect, heldDescendants, waitFor, type Harness } from "./harness";
import { claudeHarness } from "./harness-claude";
import { commandHarness } from "./harness-command";
import { openAiHarness } from "./harness-openai";

process.env.SCRIPTED_ANTHROPIC_KEY = "sk-ant-scripted";
process.env.SCRIPTED_OPENAI_KEY = "sk-scripted";
/** A task's stored events in insertion order, through the data layer (either dialect). */
const eventsOfTask = async (taskId: string) => (await rowsOf("taskEvents")).filter((e) => e.taskId === taskId).sort((a, b) => a.id - b.id);

const harnesses: Harness[] = [commandHarness("claude-stream-json"), commandHarness("codex-json"), claudeHarness(), openAiHarness()];

describe.each(harnesses)("runtime contract: $name", (h) => {
  beforeAll(async () => h.setup?.());
  afterAll(async () => h.teardown?.());
  beforeEach(async () => truncateAll());

  it("counts agent turns (assistant messages), not log lines, ends with one result, maps usage and cost", async () => {
    const { events, results, result } = await collect(h.runtime({ turns: 3 }), { maxTurns: 10 });
    expect(results).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("result");
    expect(events.filter((e) => e.type === "assistant")).toHaveLength(3);
    expect(events.filter((e) => e.type === "tool_call")).toHaveLength(2);
    expect(events.filter((e) => e.type === "tool_result")).toHaveLength(2);
    expect(result).toMatchObject({ status: "success", turns: 3 });
    expect(result?.text).toContain("hello");
    // usage and cost are mapped from the same run
    expect(result?.inputTokens).toBeGreaterThan(0);
    expect(result?.outputTokens).toBeGreaterThan(0);
    expect(events.some((e) => e.type === "usage")).toBe(true);
    if (h.reportsCost) expect(result?.costUsd).toBeGreaterThan(0);
    else expect(result?.costUsd ?? null).toBeNull();
  });

  it("persists the run through executeTask: events, live turnCount, completed outcome", async () => {
    const task = await makeTask({ status: "running", maxTurns: 10 });
    const outcome = await executeTask({ db: getDb(), taskId: task.id, runtime: h.runtime({ turns: 2 }), prompt: "hello", maxTurns: 10, signal: new AbortController().signal });
    expect(outcome).toMatchObject({ status: "completed", failureReason: null, turnCount: 2 });
    if (h.resumes) expect(outcome.sessionId).toBeTruthy();
    else expect(outcome.sessionId).toBeNull();
    const rows = await eventsOfTask(task.id);
    expect(rows.filter((r) => r.type === "assistant")).toHaveLength(2);
    expect(rows.at(-1)?.type).toBe("result");
    expect(await taskById(task.id)).toMatchObject({ turnCount: 2, sessionId: outcome.sessionId });
  });

  it("stops at maxTurns → max_turns, and executeTask maps it to turn_limit_exceeded", async () => {
    const task = await makeTask({ status: "running", maxTurns: 2 });
    const outcome = await executeTask({ db: getDb(), taskId: task.id, runtime: h.runtime({ turns: 6 }), prompt: "hello", maxTurns: 2, signal: new AbortController().signal });
    expect(outcome).toMatchObject({ status: "failed", failureReason: "turn_limit_exceeded", turnCount: 2 });
    const rows = await eventsOfTask(task.id);
    expect(rows.filter((r) => r.type === "assistant")).toHaveLength(2);
    expect((rows.at(-1)!.payload as { result: unknown }).result).toMatchObject({ status: "max_turns", turns: 2 });
  });

  it("finishes normally when the agent needs exactly maxTurns", async () => {
    const { result } = await collect(h.runtime({ turns: 2 }), { maxTurns: 2 });
    expect(result).toMatchObject({ status: "success", turns: 2 });
  });

  it("abort mid-run kills every process of the run (SIGTERM, then SIGKILL after the grace)", async () => {
    expect(await heldDescendants()).toEqual([]);
    const controller = new AbortController();
    const task = await makeTask({ status: "running" });
    const running = executeTask({ db: getDb(), taskId: task.id, runtime: h.runtime({ turns: 3, hangWithProcesses: true }), prompt: "hello", maxTurns: 10, signal: controller.signal });
    const sleepers = await waitFor(async () => {
      const found = await heldDescendants();
      return found.length ? found : null;
    }, 30_000, "the agent's child processes");
    const { descendantPids } = await import("@/lib/runtimes/process-tree");
    // The long-lived spawner processes (ADR 0028) are this process's children but no run's:
    // every other descendant is the run's and must be gone after the abort.
    const { currentSpawners } = await import("@/lib/runtimes/spawner/client");
    const notSpawner = (pids: number[]) => pids.filter((p) => !currentSpawners().some((s) => s.pid === p));
    const tree = notSpawner(await descendantPids(process.pid));
    expect(tree.length).toBeGreaterThan(sleepers.length);
    controller.abort("cancelled");
    const outcome = await running;
    expect(outcome).toMatchObject({ status: "cancelled", failureReason: "aborted" });
    expect(alive(tree)).toEqual([]);
    expect(alive(notSpawner(await descendantPids(process.pid)))).toEqual([]);
  });

  it("an abort reason that is a failure class is kept (lease_expired)", async () => {
    const controller = new AbortController();
    const task = await makeTask({ status: "running" });
    const running = executeTask({ db: getDb(), taskId: task.id, runtime: h.runtime({ turns: 5, delayMs: 300 }), prompt: "hello", maxTurns: 10, signal: controller.signal });
    await waitFor(async () => (await taskById(task.id)).turnCount >= 1, 30_000, "a first turn");
    controller.abort("lease_expired");
    expect(await running).toMatchObject({ status: "failed", failureReason: "lease_expired" });
  });

  it("resume passes the session to the agent", async () => {
    const first = await collect(h.runtime({ turns: 1 }));
    const sessionId = first.result?.sessionId;
    if (!h.resumes) {
      const again = await collect(h.runtime({ turns: 1 }), { resumeSessionId: "no-such-session" });
      expect(again.result).toMatchObject({ status: "success", sessionId: null });
      return;
    }
    expect(sessionId).toBeTruthy();
    const second = await collect(h.runtime({ turns: 1 }), { resumeSessionId: sessionId, prompt: "continue" });
    expect(second.result).toMatchObject({ status: "success", sessionId });
    if (h.resumedMarker) expect(second.result?.text).toContain(h.resumedMarker(sessionId!));
  });

  it("a bad base URL fails as network", async () => {
    const { result } = await collect(h.runtime({ turns: 1, badBaseUrl: true }));
    expect(result).toMatchObject({ status: "error", failureReason: "network" });
  });

  it("HTTP 401 from the model API fails as auth_failed", async () => {
    const { result } = await collect(h.runtime({ turns: 1, httpStatus: 401 }));
    expect(result).toMatchObject({ status: "error", failureReason: "auth_failed" });
  });

  it("HTTP 429 from the model API fails as rate_limited", async () => {
    const { result } = await collect(h.runtime({ turns: 1, httpStatus: 429 }));
    expect(result).toMatchObject({ status: "error", failureReason: "rate_limited" });
  });
});
