import { beforeEach, describe, expect, it } from "vitest";
import { GET as getTaskRoute } from "@/app/api/tasks/[id]/route";
import { makeSchedule, makeTask, T0, truncateAll } from "./factories";
import { callRoute } from "./http";

const get = (id: string) => callRoute(getTaskRoute, `/api/tasks/${id}`, { params: { id } });

describe("GET /api/tasks/:id prompt and queue place", () => {
  beforeEach(async () => truncateAll());

  it("answers the prompt, and queue null for a task that is not queued", async () => {
    const t = await makeTask({ status: "completed", prompt: "Check the repo", startedAt: T0, finishedAt: T0 + 1 });
    const res = await get(t.id);
    expect(res.status).toBe(200);
    expect(res.data.task).toMatchObject({ id: t.id, status: "completed" });
    expect(res.data.prompt).toBe("Check the repo");
    expect(res.data.queue).toBeNull();
  });

  it("places a queued task in drain order: manual runs first, then by plannedAt, then createdAt", async () => {
    const s = await makeSchedule();
    const early = await makeTask({ scheduleId: s.id, sourceType: "scheduled", plannedAt: T0, createdAt: T0 + 5 });
    const late = await makeTask({ scheduleId: s.id, sourceType: "scheduled", plannedAt: T0 + 60_000, createdAt: T0 + 1 });
    const manual = await makeTask({ scheduleId: s.id, sourceType: "manual", plannedAt: null, createdAt: T0 + 10 });
    const manual2 = await makeTask({ scheduleId: s.id, sourceType: "manual", plannedAt: null, createdAt: T0 + 20 });
    await makeTask({ status: "completed", plannedAt: null, createdAt: T0 }); // not queued: never counted
    const pos = async (id: string) => (await get(id)).data.queue.position;
    expect(await pos(manual.id)).toBe(1);
    expect(await pos(manual2.id)).toBe(2);
    expect(await pos(early.id)).toBe(3);
    expect(await pos(late.id)).toBe(4);
    const q = (await get(late.id)).data.queue;
    expect(q.slotEtaSec).toBeGreaterThanOrEqual(1);
    expect(q.notBefore).toBeNull();
  });

  it("shows a retry's backoff end, and 404 for an unknown id", async () => {
    const until = Date.now() + 60_000;
    const retry = await makeTask({ sourceType: "retry", attempt: 2, notBefore: until });
    expect((await get(retry.id)).data.queue.notBefore).toBe(new Date(until).toISOString());
    expect(await get("nope")).toMatchObject({ status: 404, data: { error: "task_not_found" } });
  });
});
