/**
 * The factories (test/factories.ts) give only what a table requires and return the row as
 * the database stored it: every other column is the database's default or the app's
 * (SCHEDULE_DEFAULTS), on either dialect.
 */
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { first, tablesOf } from "@/lib/db/sql";
import { nextOccurrence } from "@/lib/schedules/cron";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { makeConversation, makeMessage, makeRunner, makeRuntime, makeSchedule, makeTask, T0, truncateAll } from "./factories";

beforeEach(async () => truncateAll());

describe("test factories", () => {
  it("a schedule gets SCHEDULE_DEFAULTS for what it leaves out, and the returned row is the stored one", async () => {
    const s = await makeSchedule();
    const { schedules } = tablesOf(getDb());
    expect(await first(getDb(), getDb().select().from(schedules).where(eq(schedules.id, s.id)).limit(1))).toEqual(s);
    expect(s).toMatchObject({
      timezone: SCHEDULE_DEFAULTS.timezone,
      status: SCHEDULE_DEFAULTS.status,
      maxAttempts: SCHEDULE_DEFAULTS.maxAttempts,
      overlapPolicy: SCHEDULE_DEFAULTS.overlapPolicy,
      catchUpPolicy: SCHEDULE_DEFAULTS.catchUpPolicy,
      catchUpWindowSec: SCHEDULE_DEFAULTS.catchUpWindowSec,
      maxFirings: SCHEDULE_DEFAULTS.maxFirings,
      expiresAt: SCHEDULE_DEFAULTS.expiresAt,
      maxTurns: null, // inherit: SCHEDULE_DEFAULTS.maxTurns at fire time
      firingCount: 0,
      failureStreak: 0,
      lastPlannedAt: T0,
      nextFireAt: nextOccurrence("*/5 * * * *", "UTC", T0),
    });
  });

  it("overrides win, including a timezone that moves the first occurrence", async () => {
    const s = await makeSchedule({ cronExpression: "0 9 * * *", timezone: "America/New_York", overlapPolicy: "allow_all", createdAt: T0 + 1 });
    expect(s).toMatchObject({ overlapPolicy: "allow_all", lastPlannedAt: T0 + 1, createdAt: T0 + 1, nextFireAt: nextOccurrence("0 9 * * *", "America/New_York", T0 + 1) });
  });

  it("a task is queued, unclaimed and manual-rooted by default; a scheduled one is scheduled-rooted", async () => {
    const t = await makeTask();
    expect(t).toMatchObject({ status: "queued", sourceType: "manual", rootSourceType: "manual", turnCount: 0, forced: false, runnerId: null, leaseExpiresAt: null, maxTurns: SCHEDULE_DEFAULTS.maxTurns, maxAttempts: SCHEDULE_DEFAULTS.maxAttempts, attempt: 1 });
    expect(await makeTask({ sourceType: "retry" })).toMatchObject({ rootSourceType: "scheduled" });
  });

  it("runtimes, runners, conversations and messages come back as stored", async () => {
    expect(await makeRuntime()).toMatchObject({ kind: "command", isDefault: false });
    expect(await makeRunner()).toMatchObject({ kind: "web", labels: [], stoppedAt: null, capacity: null });
    const c = await makeConversation();
    expect(c).toMatchObject({ title: "Chat", sessionId: null });
    expect(await makeMessage({ conversationId: c.id })).toMatchObject({ role: "user", content: "", status: "complete", error: null });
  });
});
