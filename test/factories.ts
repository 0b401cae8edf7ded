/**
 * Test factories: insert real rows through the data layer (either dialect) and return them
 * as stored, read back with `.returning()`. Each factory gives only the columns the table
 * requires (NOT NULL without a default) plus what a test row needs to make sense (a
 * schedule's first `nextFireAt`, a task's root source), each overridable
 * (`makeSchedule({cronExpression: "* * * * * *"})`); every other column is the database's
 * default or the app's (src/lib/schedules/defaults.ts). A new nullable or defaulted column
 * therefore needs no change here (CONVENTIONS "factories"; issue 14).
 */
import { randomUUID } from "node:crypto";
import { getDb, type Db, withTransaction } from "@/lib/db/client";
import type { chatConversations, chatMessages, runners, runtimes, schedules, tasks } from "@/lib/db/schema";
import { run, tablesOf } from "@/lib/db/sql";
import { nextOccurrence } from "@/lib/schedules/cron";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";

export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday, 12:00 UTC

type Insert<T extends { $inferInsert: unknown }> = Partial<T["$inferInsert"]>;

/** Inserts `row` into the table `name` of `db`'s dialect and returns the stored row. */
async function insertReturning<K extends "runtimes" | "schedules" | "tasks" | "chatConversations" | "chatMessages" | "runners">(
  db: Db,
  name: K,
  row: ReturnType<typeof tablesOf>[K]["$inferInsert"],
): Promise<ReturnType<typeof tablesOf>[K]["$inferSelect"]> {
  const table = tablesOf(db)[name] as typeof schedules; // one table type stands for all: the builder is the same
  const [stored] = await run(db, db.insert(table).values(row as typeof schedules.$inferInsert).returning());
  return stored as ReturnType<typeof tablesOf>[K]["$inferSelect"];
}

/** Deletes every row of every table (between tests that share a file's DB). */
export async function truncateAll(db: Db = getDb()): Promise<void> {
  await withTransaction(db, async (tx) => {
    const t = tablesOf(tx);
    for (const table of [t.taskEvents, t.scheduleFiringMetrics, t.events, t.tasks, t.chatMessages, t.chatConversations, t.schedules, t.runtimes, t.runners, t.settings, t.concurrencyGroups]) {
      await run(tx, tx.delete(table));
    }
  });
}

/** A `command` runtime that echoes its prompt. Required: id, name, kind, config, timestamps. */
export async function makeRuntime(overrides: Insert<typeof runtimes> = {}, db: Db = getDb()) {
  const now = overrides.createdAt ?? T0;
  return insertReturning(db, "runtimes", {
    id: randomUUID(),
    name: `runtime-${randomUUID().slice(0, 8)}`,
    kind: "command",
    config: { command: ["echo", "{prompt}"], promptVia: "arg", outputFormat: "text" },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
}

/**
 * An active schedule (every 5 minutes unless overridden), planned up to its creation
 * (`lastPlannedAt` = `createdAt`, default T0) with its first occurrence after that as
 * `nextFireAt` — what createSchedule leaves. Everything else: SCHEDULE_DEFAULTS / the DB.
 */
export async function makeSchedule(overrides: Insert<typeof schedules> = {}, db: Db = getDb()) {
  const now = overrides.createdAt ?? T0;
  const cronExpression = overrides.cronExpression ?? "*/5 * * * *";
  const timezone = overrides.timezone ?? SCHEDULE_DEFAULTS.timezone;
  return insertReturning(db, "schedules", {
    id: randomUUID(),
    name: `schedule-${randomUUID().slice(0, 8)}`,
    prompt: "Summarize the repository",
    cronExpression,
    nextFireAt: nextOccurrence(cronExpression, timezone, now),
    lastPlannedAt: now,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  });
}

/**
 * A queued manual task (unless overridden). Required: id, title, prompt, sourceType,
 * maxTurns (a task always carries its budget: SCHEDULE_DEFAULTS.maxTurns), createdAt.
 * `maxAttempts` is a schedule's default, as the planner gives its tasks (the column's own
 * default, 1, is a manual run's). A retry of a test's scheduled task is scheduled-rooted
 * unless the test says otherwise.
 */
export async function makeTask(overrides: Insert<typeof tasks> = {}, db: Db = getDb()) {
  return insertReturning(db, "tasks", {
    id: randomUUID(),
    title: "task",
    prompt: "Do the thing",
    sourceType: "manual",
    rootSourceType: (overrides.sourceType ?? "manual") === "manual" ? "manual" : "scheduled",
    maxAttempts: SCHEDULE_DEFAULTS.maxAttempts,
    maxTurns: SCHEDULE_DEFAULTS.maxTurns,
    createdAt: T0,
    ...overrides,
  });
}

export async function makeConversation(overrides: Insert<typeof chatConversations> = {}, db: Db = getDb()) {
  return insertReturning(db, "chatConversations", { id: randomUUID(), title: "Chat", createdAt: T0, updatedAt: T0, ...overrides });
}

export async function makeMessage(overrides: Insert<typeof chatMessages> & { conversationId: string }, db: Db = getDb()) {
  return insertReturning(db, "chatMessages", { id: randomUUID(), role: "user", status: "complete", createdAt: T0, updatedAt: T0, ...overrides });
}

export async function makeRunner(overrides: Insert<typeof runners> = {}, db: Db = getDb()) {
  return insertReturning(db, "runners", { id: `runner_${randomUUID()}`, pid: 1, hostname: "test", startedAt: T0, heartbeatAt: T0, ...overrides });
}
