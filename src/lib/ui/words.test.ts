import { describe, expect, it } from "vitest";
import { EVENT_KINDS, FAILURE_REASONS, PAUSED_REASONS, SCHEDULE_STATUSES, SKIPPED_REASONS, TASK_STATUSES } from "@/lib/db/constants";
import {
  EVENT_KIND_WORDS,
  FAILURE_REASON_WORDS,
  PAUSED_REASON_WORDS,
  SCHEDULE_STATUS_WORDS,
  SKIPPED_REASON_WORDS,
  TASK_STATUS_WORDS,
  failureReasonWords,
  pausedReasonWords,
  taskOutcomeWords,
  type Words,
} from "./words";

const CASES: [string, readonly string[], Record<string, Words>, boolean][] = [
  ["pause reasons", PAUSED_REASONS, PAUSED_REASON_WORDS, true],
  ["failure classes", FAILURE_REASONS, FAILURE_REASON_WORDS, true],
  ["skipped reasons", SKIPPED_REASONS, SKIPPED_REASON_WORDS, true],
  ["task statuses", TASK_STATUSES, TASK_STATUS_WORDS, true],
  ["schedule statuses", SCHEDULE_STATUSES, SCHEDULE_STATUS_WORDS, true],
  ["event kinds", EVENT_KINDS, EVENT_KIND_WORDS, true],
];

describe("words map", () => {
  it.each(CASES)("every one of the %s in constants.ts has a label and a detail sentence, and nothing else", (_name, codes, map) => {
    expect(Object.keys(map).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      const w = map[code];
      expect(w.label, code).toMatch(/^[A-Z]/);
      // Words, not codes: no snake_case identifiers leak into a label or detail.
      expect(w.label, code).not.toMatch(/_/);
      expect(w.detail, code).toMatch(/^[A-Z].*\.$/);
      expect(w.detail, code).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
    }
  });

  it("names the turn budget 'max turns', never steps", () => {
    const all = CASES.flatMap(([, , map]) => Object.values(map)).map((w) => `${w.label} ${w.detail}`).join("\n");
    expect(all).not.toMatch(/\bsteps?\b/i);
    expect(FAILURE_REASON_WORDS.turn_limit_exceeded.label).toBe("Hit max turns");
    expect(PAUSED_REASON_WORDS.turn_budget_breach_streak.detail).toContain("max turns");
  });

  it("looks codes up; null for none; an unknown code still reads as words", () => {
    expect(pausedReasonWords("failure_streak")?.label).toBe("Paused after repeated failures");
    expect(pausedReasonWords(null)).toBeNull();
    expect(failureReasonWords("some_new_code")).toEqual({ label: "some new code", detail: "" });
    expect(taskOutcomeWords({ failureReason: null, skippedReason: "overlap" })?.label).toBe("Skipped: previous run still going");
    expect(taskOutcomeWords({ failureReason: "process_failure", skippedReason: null })?.label).toBe("Agent process failed");
    expect(taskOutcomeWords({})).toBeNull();
  });
});
