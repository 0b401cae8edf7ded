/**
 * Concurrency groups and runtime caps (issue 12 item 4): a schedule names a group with its
 * own cap (PUT /api/concurrency-groups/:name); a runtime's config.maxConcurrent caps the
 * runtime. The claim checks every cap (global, runner, group, runtime); the queue stays FIFO
 * within what can run — a task held by its group doesn't hold the next task of another
 * group. Fake clock, both dialects (test/setup.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GET as listGroups } from "@/app/api/concurrency-groups/route";
import { DELETE as deleteGroup, PUT as putGroup } from "@/app/api/concurrency-groups/[name]/route";
import { POST as createScheduleRoute } from "@/app/api/schedules/route";
import { GET as getScheduleRoute, PATCH as patchScheduleRoute } from "@/app/api/schedules/[id]/route";
import { POST as executeRoute } from "@/app/api/schedules/[id]/execute/route";
import { getSettings } from "@/lib/config/settings";
import { getDb } from "@/lib/db/client";
import { drainQueue } from "@/lib/scheduler/drain";
import { claimSlot } from "@/lib/scheduler/slot-claim";
import { makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "../factories";
import { callRoute } from "../http";
import { rowsOf } from "../support/rows";
import { allTasks, countByStatus, setCap, startTestScheduler, stopTestSchedulers } from "../support/scheduler-harness";
import { waitFor } from "../support/test-runtime";

beforeEach(async () => truncateAll());
afterEach(() => stopTestSchedulers());

const putCap = (name: string, json: unknown) => callRoute(putGroup, `/api/concurrency-groups/${encodeURIComponent(name)}`, { method: "PUT", json, params: { name } });
const command = { command: ["echo", "{prompt}"], promptVia: "arg", outputFormat: "text" };

async function drain(cap = 10, runnerId = "r1") {
  const settings = { ...(await getSettings(getDb())), maxConcurrent: cap };
  return drainQueue({ db: getDb(), now: T0, runnerId, settings, chatStreams: 0, runnerLabels: [] });
}

describe("concurrency groups", () => {
  it("a group cap of 1 holds two schedules apart while a third schedule runs beside them; the second starts when the first finishes", async () => {
    await setCap(5);
    expect((await putCap("repo-foo", { maxConcurrent: 1 })).status).toBe(200);
    const a = await makeSchedule({ name: "a", prompt: "pa", cronExpression: "*/5 * * * *", concurrencyGroup: "repo-foo" });
    const b = await makeSchedule({ name: "b", prompt: "pb", cronExpression: "*/5 * * * *", concurrencyGroup: "repo-foo" });
    await makeSchedule({ name: "c", prompt: "pc", cronExpression: "*/5 * * * *" });
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    s.clock.set(T0 + 5 * 60_000);
    await s.loop.runPass();
    // Planning copied the group onto each task, and only one of the group runs.
    const tasks = await allTasks();
    expect(Object.fromEntries(tasks.map((t) => [t.title, t.concurrencyGroup]))).toEqual({ a: "repo-foo", b: "repo-foo", c: null });
    expect(await countByStatus()).toEqual({ running: 2, queued: 1 });
    await waitFor(() => s.runtime.runs.length === 2, "two runs started");
    const first = s.runtime.runs.find((r) => r.input.prompt === "pa" || r.input.prompt === "pb")!;
    expect(s.runtime.runs.map((r) => r.input.prompt)).toContain("pc");

    const groups = (await callRoute(listGroups, "/api/concurrency-groups")).data.groups;
    expect(groups).toEqual([expect.objectContaining({ name: "repo-foo", maxConcurrent: 1, running: 1, queued: 1, schedules: 2 })]);

    first.release();
    await waitFor(() => s.runtime.runs.length === 3, "the other group member started after the first finished");
    const second = s.runtime.runs[2];
    expect(second.input.prompt).toBe(first.input.prompt === "pa" ? "pb" : "pa");
    expect([a.id, b.id]).toContain((await allTasks()).find((t) => t.status === "running" && t.concurrencyGroup)?.scheduleId);
    // Never two of the group at once: the first had finished before the second was claimed.
    const rows = (await allTasks()).filter((t) => t.concurrencyGroup === "repo-foo");
    const [x, y] = rows.sort((p, q) => p.slotClaimedAt! - q.slotClaimedAt!);
    expect(x.finishedAt).not.toBeNull();
    expect(y.slotClaimedAt!).toBeGreaterThanOrEqual(x.finishedAt!);
  });

  it("FIFO within what can run: a task held by its group does not hold later tasks of other groups (drain)", async () => {
    await putCap("g1", { maxConcurrent: 1 });
    await putCap("g2", { maxConcurrent: 2 });
    await makeTask({ title: "g1-running", status: "running", concurrencyGroup: "g1", runnerId: "other", createdAt: T0 - 1 });
    await makeTask({ title: "g1-a", concurrencyGroup: "g1", createdAt: T0 });
    await makeTask({ title: "g2-a", concurrencyGroup: "g2", createdAt: T0 + 1 });
    await makeTask({ title: "g1-b", concurrencyGroup: "g1", createdAt: T0 + 2 });
    await makeTask({ title: "g2-b", concurrencyGroup: "g2", createdAt: T0 + 3 });
    await makeTask({ title: "g2-c", concurrencyGroup: "g2", createdAt: T0 + 4 });
    await makeTask({ title: "free", createdAt: T0 + 5 });
    await makeTask({ title: "uncapped", concurrencyGroup: "no-cap-row", createdAt: T0 + 6 });
    const res = await drain(10);
    expect(res.claimed.map((c) => c.task.title)).toEqual(["g2-a", "g2-b", "free", "uncapped"]);
    // The global cap still orders it: with 2 free slots only the first two startable go.
    await truncateAll();
    await putCap("g1", { maxConcurrent: 1 });
    await makeTask({ title: "g1-a", concurrencyGroup: "g1", createdAt: T0 });
    await makeTask({ title: "g1-b", concurrencyGroup: "g1", createdAt: T0 + 1 });
    await makeTask({ title: "x", createdAt: T0 + 2 });
    await makeTask({ title: "y", createdAt: T0 + 3 });
    expect((await drain(2)).claimed.map((c) => c.task.title)).toEqual(["g1-a", "x"]);
  });

  it("a runtime's maxConcurrent caps its tasks (tasks without a runtime count as the default's); forced claims skip group and runtime caps", async () => {
    const gpu = await makeRuntime({ isDefault: true, config: { ...command, maxConcurrent: 1 } });
    const other = await makeRuntime({ config: command });
    await makeTask({ title: "on-default", runtimeId: null, createdAt: T0 });
    await makeTask({ title: "on-gpu", runtimeId: gpu.id, createdAt: T0 + 1 });
    await makeTask({ title: "on-other", runtimeId: other.id, createdAt: T0 + 2 });
    expect((await drain(10)).claimed.map((c) => c.task.title)).toEqual(["on-default", "on-other"]);
    const held = (await rowsOf("tasks")).find((t) => t.title === "on-gpu")!;
    const claim = (force: boolean) => claimSlot(getDb(), { taskId: held.id, runnerId: "r1", now: T0, cap: 10, defaultLeaseSec: 600, force, runnerLabels: [] });
    expect(await claim(false)).toBe(false);
    expect(await claim(true)).toBe(true);
    // Group caps too.
    await putCap("solo", { maxConcurrent: 1 });
    await makeTask({ title: "solo-1", concurrencyGroup: "solo", status: "running", runnerId: "r1" });
    const t = await makeTask({ title: "solo-2", concurrencyGroup: "solo", runtimeId: other.id });
    const claimT = (force: boolean) => claimSlot(getDb(), { taskId: t.id, runnerId: "r1", now: T0, cap: 10, defaultLeaseSec: 600, force, runnerLabels: [] });
    expect(await claimT(false)).toBe(false);
    expect(await claimT(true)).toBe(true);
  });

  it("Run now of a schedule whose group is full: 429 naming the group; ?queue=true leaves it queued; ?force=true runs it", async () => {
    await setCap(5);
    const s = await startTestScheduler();
    s.runtime.setScript({ hold: true });
    await putCap("repo-foo", { maxConcurrent: 1 });
    const a = await makeSchedule({ concurrencyGroup: "repo-foo" });
    const b = await makeSchedule({ concurrencyGroup: "repo-foo" });
    const execute = (id: string, q = "") => callRoute(executeRoute, `/api/schedules/${id}/execute${q}`, { method: "POST", params: { id } });
    expect((await execute(a.id)).status).toBe(202);
    const refused = await execute(b.id);
    expect(refused).toMatchObject({ status: 429, data: { error: "capacity_full", concurrencyGroup: "repo-foo" } });
    expect(refused.data.message).toContain('"repo-foo"');
    expect((await allTasks()).filter((t) => t.scheduleId === b.id)).toHaveLength(0);
    expect(await execute(b.id, "?queue=true")).toMatchObject({ status: 202, data: { queued: true } });
    expect(await execute(b.id, "?force=true")).toMatchObject({ status: 202, data: { forced: true } });
    expect((await allTasks()).filter((t) => t.scheduleId === b.id).map((t) => [t.status, t.concurrencyGroup]).sort()).toEqual([
      ["queued", "repo-foo"],
      ["running", "repo-foo"],
    ]);
    // Let everything finish (the queued run starts once a slot of its group frees), so the loop stops idle.
    s.runtime.setScript({});
    for (const r of s.runtime.runs) r.release();
    await waitFor(async () => (await allTasks()).every((t) => t.status === "completed"), "every run finished");
  });
});

describe("concurrency groups API and the schedule field", () => {
  it("PUT sets and changes a cap, GET lists capped and named groups, DELETE removes a cap; bad names and caps are 400", async () => {
    expect(await putCap("repo-foo", { maxConcurrent: 2 })).toMatchObject({ status: 200, data: { group: { name: "repo-foo", maxConcurrent: 2, running: 0, queued: 0 } } });
    expect(await putCap("repo-foo", { maxConcurrent: 1 })).toMatchObject({ status: 200, data: { group: { maxConcurrent: 1 } } });
    expect(await putCap("repo-foo", { maxConcurrent: 0 })).toMatchObject({ status: 400, data: { fields: { maxConcurrent: expect.any(String) } } });
    expect(await putCap("repo-foo", { maxConcurrent: 2, extra: 1 })).toMatchObject({ status: 400 });
    expect(await putCap("has space", { maxConcurrent: 1 })).toMatchObject({ status: 400, data: { fields: { name: expect.any(String) } } });

    const created = await callRoute(createScheduleRoute, "/api/schedules", {
      method: "POST",
      json: { name: "nightly", prompt: "p", cronExpression: "0 3 * * *", status: "paused", concurrencyGroup: "gpu-box" },
    });
    expect(created).toMatchObject({ status: 201, data: { schedule: { concurrencyGroup: "gpu-box" } } });
    const id = created.data.schedule.id as string;
    const bad = await callRoute(createScheduleRoute, "/api/schedules", { method: "POST", json: { name: "x", prompt: "p", cronExpression: "0 3 * * *", status: "paused", concurrencyGroup: "a/b" } });
    expect(bad).toMatchObject({ status: 400, data: { fields: { concurrencyGroup: expect.any(String) } } });

    const groups = (await callRoute(listGroups, "/api/concurrency-groups")).data.groups;
    expect(groups.map((g: { name: string; maxConcurrent: number | null; schedules: number }) => [g.name, g.maxConcurrent, g.schedules])).toEqual([
      ["gpu-box", null, 1],
      ["repo-foo", 1, 0],
    ]);

    expect(await callRoute(patchScheduleRoute, `/api/schedules/${id}`, { method: "PATCH", json: { concurrencyGroup: null }, params: { id } })).toMatchObject({ status: 200 });
    expect((await callRoute(getScheduleRoute, `/api/schedules/${id}`, { params: { id } })).data.schedule.concurrencyGroup).toBeNull();

    expect((await callRoute(deleteGroup, "/api/concurrency-groups/repo-foo", { method: "DELETE", params: { name: "repo-foo" } })).status).toBe(204);
    expect((await callRoute(listGroups, "/api/concurrency-groups")).data.groups).toEqual([]);
  });
});
