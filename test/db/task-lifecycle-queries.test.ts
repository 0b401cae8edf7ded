/**
 * The task lifecycle's statements (queries/slots.ts, task-runs.ts, runners.ts, tasks-core.ts)
 * on whichever dialect the suite runs (SQLite, or PostgreSQL in `vitest.pg.config.mts`): the
 * claim's conditions, the guarded terminal write (NULL guard, another runner's guard,
 * turnCount never lowered, session kept), insert-if-absent on the occurrence index, the
 * agent-process record and the executor's flush.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { getDb, withTransaction } from "@/lib/db/client";
import { claimTask, countQueued, countRunning, selectDrainCandidates } from "@/lib/db/queries/slots";
import { insertRunner, selectRunner, updateRunnerHeartbeat, updateRunnerStopped } from "@/lib/db/queries/runners";
import { clearAgentProcessRecord, insertTaskEventsAndProgress, selectAgentProcessRows, selectRunningOfOthers, updateAgentProcessGroups, writeTerminal, type TerminalWrite } from "@/lib/db/queries/task-runs";
import { insertTaskIfAbsent, selectTaskById } from "@/lib/db/queries/tasks-core";
import { makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { rowsOf } from "../support/rows";

beforeEach(async () => truncateAll());

const claim = (taskId: string, over: Partial<Parameters<typeof claimTask>[1]> = {}) =>
  claimTask(getDb(), { taskId, runnerId: "r1", now: T0, cap: 2, defaultLeaseSec: 600, serialize: false, force: false, ...over });

const terminal = (taskId: string, over: Partial<TerminalWrite> = {}): TerminalWrite => ({
  taskId, guardRunnerId: "r1", status: "completed", failureReason: null, error: null, result: "done",
  turnCount: 1, sessionId: null, inputTokens: 5, outputTokens: 6, costUsd: 0.5, now: T0 + 1000, ...over,
});

describe("claims", () => {
  it("claims up to the cap, stamps the lease, honours notBefore, force, and the parent's agent processes", async () => {
    const a = await makeTask({ maxRunDurationSec: 30 });
    const b = await makeTask();
    const c = await makeTask();
    const later = await makeTask({ notBefore: T0 + 1 });
    expect(await claim(a.id)).toBe(true);
    expect(await claim(a.id)).toBe(false);
    expect(await claim(later.id)).toBe(false);
    expect(await claim(b.id)).toBe(true);
    expect(await claim(c.id)).toBe(false); // cap 2
    expect(await countRunning(getDb())).toBe(2);
    expect(await countQueued(getDb())).toBe(2);
    expect(await claim(c.id, { force: true })).toBe(true);
    expect(await selectTaskById(getDb(), a.id)).toMatchObject({ status: "running", runnerId: "r1", slotClaimedAt: T0, startedAt: T0, heartbeatAt: T0, forced: false });
    expect((await selectTaskById(getDb(), a.id))!.leaseExpiresAt).toBe(T0 + 30_000);
    expect((await selectTaskById(getDb(), b.id))!.leaseExpiresAt).toBe(T0 + 600_000);
    expect((await selectTaskById(getDb(), c.id))!.forced).toBe(true);

    const parent = await makeTask({ status: "failed", agentProcessGroups: [{ pgid: 4242, startTime: 7 }], agentHost: "h" });
    const retry = await makeTask({ sourceType: "retry", parentTaskId: parent.id, attempt: 2 });
    expect(await claim(retry.id, { cap: 10 })).toBe(false);
    expect((await selectAgentProcessRows(getDb())).map((r) => [r.id, r.groups, r.agentHost])).toEqual([[parent.id, [{ pgid: 4242, startTime: 7 }], "h"]]);
    await clearAgentProcessRecord(getDb(), parent.id);
    expect(await selectAgentProcessRows(getDb())).toEqual([]);
    expect(await claim(retry.id, { cap: 10 })).toBe(true);
  });

  it("serializes a schedule's tasks when asked, and drain candidates leave busy non-overlapping schedules out", async () => {
    const sched = await makeSchedule({ overlapPolicy: "buffer_all" });
    const first = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 });
    const second = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 + 60_000 });
    expect((await selectDrainCandidates(getDb(), T0, 10)).map((c) => c.task.id)).toEqual([first.id, second.id]);
    expect(await claim(first.id, { serialize: true })).toBe(true);
    expect(await claim(second.id, { serialize: true })).toBe(false);
    expect(await selectDrainCandidates(getDb(), T0, 10)).toEqual([]);
    expect(await claim(second.id, { serialize: false })).toBe(true);
  });
});

describe("the guarded terminal write", () => {
  it("only the holding runner finishes a running task; turnCount never goes down; the session is kept", async () => {
    const t = await makeTask();
    await claim(t.id);
    await insertTaskEventsAndProgress(getDb(), t.id, [], { turnCount: 4, sessionId: "s-1", heartbeatAt: T0 + 500 });
    expect(await writeTerminal(getDb(), terminal(t.id, { guardRunnerId: "r2" }))).toBe(false);
    expect(await writeTerminal(getDb(), terminal(t.id, { guardRunnerId: null }))).toBe(false);
    expect(await writeTerminal(getDb(), terminal(t.id))).toBe(true);
    expect(await writeTerminal(getDb(), terminal(t.id))).toBe(false); // no longer running
    expect(await selectTaskById(getDb(), t.id)).toMatchObject({ status: "completed", turnCount: 4, sessionId: "s-1", result: "done", inputTokens: 5, costUsd: 0.5, finishedAt: T0 + 1000 });
  });

  it("a NULL guard matches a running row without a runner (IS NULL, not = NULL)", async () => {
    const t = await makeTask({ status: "running", runnerId: null });
    expect(await writeTerminal(getDb(), terminal(t.id, { guardRunnerId: "r1" }))).toBe(false);
    expect(await writeTerminal(getDb(), terminal(t.id, { guardRunnerId: null, status: "failed", failureReason: "runtime_recovery", turnCount: 2, sessionId: "s-2" }))).toBe(true);
    expect(await selectTaskById(getDb(), t.id)).toMatchObject({ status: "failed", failureReason: "runtime_recovery", turnCount: 2, sessionId: "s-2" });
  });
});

describe("rows around a run", () => {
  it("insert-if-absent keeps one root task per occurrence", async () => {
    const sched = await makeSchedule();
    const t = await makeTask({ scheduleId: sched.id, sourceType: "scheduled", plannedAt: T0 });
    expect(await insertTaskIfAbsent(getDb(), { ...t, id: "another" })).toBe(false);
    expect(await insertTaskIfAbsent(getDb(), { ...t, id: "next", plannedAt: T0 + 60_000 })).toBe(true);
    expect((await rowsOf("tasks")).map((r) => r.id).sort()).toEqual(["next", t.id].sort());
  });

  it("the executor's flush appends events in one batch and updates progress only while running", async () => {
    const t = await makeTask();
    await claim(t.id);
    const events = [
      { type: "assistant", payload: { text: "hi" }, createdAt: T0 + 1 },
      { type: "usage", payload: { inputTokens: 3 }, createdAt: T0 + 2 },
    ];
    await withTransaction(getDb(), (tx) => insertTaskEventsAndProgress(tx, t.id, events, { turnCount: 1, sessionId: "s", heartbeatAt: T0 + 3, inputTokens: 3 }));
    const stored = (await rowsOf("taskEvents")).sort((a, b) => a.id - b.id);
    expect(stored.map((e) => [e.taskId, e.type, e.payload, e.createdAt])).toEqual([
      [t.id, "assistant", { text: "hi" }, T0 + 1],
      [t.id, "usage", { inputTokens: 3 }, T0 + 2],
    ]);
    expect(await selectTaskById(getDb(), t.id)).toMatchObject({ turnCount: 1, sessionId: "s", heartbeatAt: T0 + 3, inputTokens: 3 });
    await writeTerminal(getDb(), terminal(t.id, { turnCount: 1 }));
    await insertTaskEventsAndProgress(getDb(), t.id, [], { turnCount: 9, sessionId: "late", heartbeatAt: T0 + 9 });
    expect(await selectTaskById(getDb(), t.id)).toMatchObject({ turnCount: 1, sessionId: "s" });
  });

  it("agent-process records, runners and recovery's candidates", async () => {
    const t = await makeTask();
    await updateAgentProcessGroups(getDb(), t.id, [{ pgid: 9, startTime: 1 }], "host-a");
    expect(await selectAgentProcessRows(getDb())).toEqual([{ id: t.id, status: "queued", runnerId: null, scheduleId: null, agentHost: "host-a", groups: [{ pgid: 9, startTime: 1 }] }]);

    await insertRunner(getDb(), { id: "r2", pid: 1, hostname: "h", hostKey: "k", processStartTime: 5, startedAt: T0, heartbeatAt: T0 });
    await updateRunnerHeartbeat(getDb(), "r2", T0 + 10);
    expect(await selectRunner(getDb(), "r2")).toMatchObject({ heartbeatAt: T0 + 10, stoppedAt: null });
    await updateRunnerStopped(getDb(), "r2", T0 + 20);
    expect(await selectRunner(getDb(), "r2")).toMatchObject({ heartbeatAt: T0 + 20, stoppedAt: T0 + 20 });

    const mine = await makeTask();
    const theirs = await makeTask();
    const orphan = await makeTask({ status: "running", runnerId: null });
    await claim(mine.id, { runnerId: "r1", cap: 10 });
    await claim(theirs.id, { runnerId: "r2", cap: 10 });
    const others = (await selectRunningOfOthers(getDb(), "r1")).sort((a, b) => (a.runnerId ?? "").localeCompare(b.runnerId ?? ""));
    expect(others).toEqual([
      { id: orphan.id, runnerId: null, rid: null, pid: null, hostKey: null, processStartTime: null, heartbeatAt: null, stoppedAt: null },
      { id: theirs.id, runnerId: "r2", rid: "r2", pid: 1, hostKey: "k", processStartTime: 5, heartbeatAt: T0 + 20, stoppedAt: T0 + 20 },
    ]);
  });
});
