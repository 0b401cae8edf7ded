import { describe, expect, it } from "vitest";
import type { EventDto, TaskDto } from "./types";
import { groupHistory } from "./run-history-rows";

const at = (min: number) => new Date(Date.UTC(2026, 0, 5, 12, min)).toISOString();
function task(id: string, min: number, over: Partial<TaskDto> = {}): TaskDto {
  return {
    id, scheduleId: "s", runtimeId: null, title: id, status: "completed", sourceType: "scheduled", plannedAt: at(min), attempt: 1,
    maxAttempts: 3, parentTaskId: null, maxTurns: 10, turnCount: 1, slotClaimedAt: null, leaseExpiresAt: null, startedAt: at(min),
    finishedAt: at(min), failureReason: null, error: null, result: null, sessionId: null, skippedReason: null, forced: false, backfill: false, notBefore: null,
    inputTokens: null, outputTokens: null, costUsd: null, createdAt: at(min), ...over,
  };
}
const missed = (id: number, min: number, count: number): EventDto => ({
  id, kind: "missed_occurrences", scheduleId: "s", taskId: null, message: `${count} occurrences missed`, data: { count }, createdAt: at(min),
});

describe("groupHistory", () => {
  it("nests retries under their root (following the parent chain) and folds consecutive skipped and missed occurrences", () => {
    const rows = groupHistory(
      [
        task("r3", 31, { sourceType: "retry", attempt: 3, parentTaskId: "r2", plannedAt: null, createdAt: at(32) }),
        task("r2", 30, { sourceType: "retry", attempt: 2, parentTaskId: "root", plannedAt: null, createdAt: at(31), status: "failed" }),
        task("root", 30, { status: "failed", failureReason: "lease_expired" }),
        task("skip2", 25, { status: "skipped", skippedReason: "overlap" }),
        task("skip1", 20, { status: "skipped", skippedReason: "overlap" }),
        task("ok", 10),
        task("skip0", 5, { status: "skipped", skippedReason: "paused_at_fire" }),
      ],
      [missed(1, 22, 4)],
    );
    expect(rows.map((r) => (r.kind === "run" ? `run:${r.root.id}[${r.retries.map((x) => x.id).join(",")}]` : `fold:${r.items.length}`))).toEqual([
      "run:root[r2,r3]",
      "fold:3",
      "run:ok[]",
      "fold:1",
    ]);
    const fold = rows[1];
    expect(fold.kind === "fold" && fold.items.map((i) => i.kind)).toEqual(["skipped", "missed", "skipped"]);
  });

  it("keeps a retry whose root is on an older page as its own row", () => {
    const rows = groupHistory([task("r2", 30, { sourceType: "retry", attempt: 2, parentTaskId: "elsewhere" })], []);
    expect(rows).toHaveLength(1);
    expect(rows[0].kind === "run" && rows[0].root.id).toBe("r2");
  });
});
