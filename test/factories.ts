/**
 * Test factories: insert real rows through drizzle with sensible defaults, each
 * overridable (`makeSchedule({cronExpression: "* * * * * *"})`).
 */
import { randomUUID } from "node:crypto";
import { getDb, type Db, withTransaction } from "@/lib/db/client";
import { chatConversations, chatMessages, runners, type RuntimeRow, type ScheduleRow, type TaskRow } from "@/lib/db/schema";
import { run, tablesOf } from "@/lib/db/sql";
import { nextOccurrence } from "@/lib/schedules/cron";
import { UNCLAIMED_RUN_STATE } from "@/lib/tasks/run-state";

export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday, 12:00 UTC

/** Deletes every row of every table (between tests that share a file's DB). */
export async function truncateAll(db: Db = getDb()): Promise<void> {
  await withTransaction(db, async (tx) => {
    const t = tablesOf(tx);
    for (const table of [t.taskEvents, t.scheduleFiringMetrics, t.events, t.tasks, t.chatMessages, t.chatConversations, t.schedules, t.runtimes, t.runners, t.settings]) {
      await run(tx, tx.delete(table));
    }
  });
}

export async function makeRuntime(overrides: Partial<RuntimeRow> = {}, db: Db = getDb()): Promise<RuntimeRow> {
  const now = overrides.createdAt ?? T0;
  const row: RuntimeRow = {
    id: randomUUID(),
    name: `runtime-${randomUUID().slice(0, 8)}`,
    kind: "command",
    config: { command: ["echo", "{prompt}"], promptVia: "arg", outputFormat: "text" },
    isDefault: false,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await run(db, db.insert(tablesOf(db).runtimes).values(row));
  return row;
}

export async function makeSchedule(overrides: Partial<ScheduleRow> = {}, db: Db = getDb()): Promise<ScheduleRow> {
  const now = overrides.createdAt ?? T0;
  const cronExpression = overrides.cronExpression ?? "*/5 * * * *";
  const timezone = overrides.timezone ?? "UTC";
  const row: ScheduleRow = {
    id: randomUUID(),
    name: `schedule-${randomUUID().slice(0, 8)}`,
    prompt: "Summarize the repository",
    cronExpression,
    timezone,
    runtimeId: null,
    status: "active",
    pausedReason: null,
    maxTurns: null,
    maxTurnsSetAt: null,
    maxRunDurationSec: null,
    maxAttempts: 3,
    overlapPolicy: "skip",
    catchUpPolicy: "latest",
    catchUpWindowSec: 3600,
    maxFirings: null,
    expiresAt: null,
    firingCount: 0,
    nextFireAt: nextOccurrence(cronExpression, timezone, now),
    lastPlannedAt: now,
    lastFiredAt: null,
    avgTurnsPerFiring: null,
    lastTurnCount: null,
    failureStreak: 0,
    turnBudgetBreachStreak: 0,
    lastFailureReason: null,
    notificationChannelIds: null,
    notifyOn: null,
    quietResultMarker: null,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
  await run(db, db.insert(tablesOf(db).schedules).values(row));
  return row;
}

export async function makeTask(overrides: Partial<TaskRow> = {}, db: Db = getDb()): Promise<TaskRow> {
  const row: TaskRow = {
    ...UNCLAIMED_RUN_STATE,
    id: randomUUID(),
    scheduleId: null,
    runtimeId: null,
    title: "task",
    prompt: "Do the thing",
    status: "queued",
    sourceType: "manual",
    // A retry of a test's scheduled task is scheduled-rooted unless the test says otherwise.
    rootSourceType: (overrides.sourceType ?? "manual") === "manual" ? "manual" : "scheduled",
    plannedAt: null,
    attempt: 1,
    maxAttempts: 3,
    parentTaskId: null,
    notBefore: null,
    maxTurns: 10,
    maxRunDurationSec: null,
    createdAt: T0,
    ...overrides,
  };
  await run(db, db.insert(tablesOf(db).tasks).values(row));
  return row;
}

export async function makeConversation(overrides: Partial<typeof chatConversations.$inferInsert> = {}, db: Db = getDb()) {
  const row = { id: randomUUID(), title: "Chat", runtimeId: null, sessionId: null, createdAt: T0, updatedAt: T0, ...overrides };
  await run(db, db.insert(tablesOf(db).chatConversations).values(row));
  return row;
}

export async function makeMessage(overrides: Partial<typeof chatMessages.$inferInsert> & { conversationId: string }, db: Db = getDb()) {
  const row = {
    id: randomUUID(),
    role: "user" as const,
    content: "hello",
    status: "complete" as const,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
  await run(db, db.insert(tablesOf(db).chatMessages).values(row));
  return row;
}

export async function makeRunner(overrides: Partial<typeof runners.$inferInsert> = {}, db: Db = getDb()) {
  const row = { id: `runner_${randomUUID()}`, pid: 1, hostname: "test", startedAt: T0, heartbeatAt: T0, stoppedAt: null, ...overrides };
  await run(db, db.insert(tablesOf(db).runners).values(row));
  return row;
}
