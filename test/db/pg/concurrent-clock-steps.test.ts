/**
 * A wall-clock step seen by several runners of one host at once, on PostgreSQL (ADR 0006,
 * ADR 0013): each runner records its own `clock_stepped` event, but the shared queued rows
 * (a retry's `notBefore`, a chat-pressure hold's `pressureHeldSince`) move by the step
 * exactly once — handling is serialized by an advisory lock, so the runners after the first
 * see its event. RUNNERS runners on separate pools handle each step concurrently.
 */
import { describe, expect, it } from "vitest";
import { handleClockJump } from "@/lib/scheduler/clock-jumps";
import { makeTask, T0 } from "../../factories";
import { pgRunnerHandles } from "../../support/pg-runners";
import { rowsOf } from "../../support/rows";

const RUNNERS = 4;
const STEPS = 5;
const HOUR = 3_600_000;

describe("clock steps handled by concurrent runners on PostgreSQL (ADR 0013)", () => {
  const runners = pgRunnerHandles(RUNNERS, "agentcron-clock-step-test");

  it(`${RUNNERS} runners seeing the same step move a queued backoff and a chat-pressure hold once`, async () => {
    for (let i = 0; i < STEPS; i++) {
      const wallBefore = T0 + i * 10 * HOUR;
      const backoff = await makeTask({ status: "queued", notBefore: wallBefore + 600_000, createdAt: wallBefore }, runners[0]);
      const held = await makeTask({ status: "queued", pressureHeldSince: wallBefore - 5_000, createdAt: wallBefore }, runners[0]);
      const jump = { stepMs: HOUR, suspendedMs: 0, wallBefore, wallAfter: wallBefore + HOUR };
      const handled = await Promise.all(runners.map((db, r) => handleClockJump(db, `runner-${r}`, jump, wallBefore + HOUR)));
      const tasks = await rowsOf("tasks", runners[0]);
      expect(tasks.find((t) => t.id === backoff.id)!.notBefore).toBe(wallBefore + 600_000 + HOUR);
      expect(tasks.find((t) => t.id === held.id)!.pressureHeldSince).toBe(wallBefore - 5_000 + HOUR);
      // Exactly one runner moved the shared rows: this step's backoff and every hold so far (holds of earlier steps move too).
      expect(handled.map((h) => h.queuedShifted).sort()).toEqual([0, 0, 0, 2 + i]);
    }
    const steps = (await rowsOf("events", runners[0])).filter((e) => e.kind === "clock_stepped");
    expect(steps).toHaveLength(RUNNERS * STEPS);
  });
});
