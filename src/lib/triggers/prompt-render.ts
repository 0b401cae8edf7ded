import "server-only";
import type { Db } from "../db/client";
import { selectLastSuccessfulResult, setRenderedPrompt } from "../db/queries/triggers";
import { selectScheduleById } from "../db/queries/tasks-core";
import type { TaskRow } from "../db/schema";
import { renderPrompt, truncateLastResult } from "./prompt-variables";

/** `YYYY-MM-DD` of `ms` (UTC ms) in `timeZone`; UTC when the zone is unknown. */
export function dateInZone(ms: number, timeZone: string): string {
  const format = (tz: string) => new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
  try {
    return format(timeZone);
  } catch {
    return format("UTC");
  }
}

/**
 * The prompt a task's run sends (issue 12 item 6; prompt-variables.ts): its stored prompt
 * with `{{plannedAt}}` (the occurrence, or for a task without one — Run now, fire URL — its
 * creation time; ISO UTC), `{{date}}` (that instant's date in the schedule's zone),
 * `{{scheduleName}}` (the schedule's current name; the task title when it was deleted),
 * `{{attempt}}`, `{{lastResult}}` (the newest other completed task's result of the schedule,
 * truncated to LAST_RESULT_MAX_CHARS) and `{{trigger.body}}` (the fire URL body's JSON, else
 * empty) filled in. Reads the database only for the variables the prompt uses.
 */
export async function renderTaskPrompt(db: Db, task: TaskRow): Promise<string> {
  if (!task.prompt.includes("{{")) return task.prompt;
  const schedule = task.scheduleId ? await selectScheduleById(db, task.scheduleId) : undefined;
  const at = task.plannedAt ?? task.createdAt;
  const lastResult = task.scheduleId && /\{\{\s*lastResult\s*\}\}/.test(task.prompt) ? await selectLastSuccessfulResult(db, task.scheduleId, task.id) : null;
  return renderPrompt(task.prompt, {
    plannedAt: new Date(at).toISOString(),
    date: dateInZone(at, schedule?.timezone ?? "UTC"),
    scheduleName: schedule?.name ?? task.title,
    attempt: String(task.attempt),
    lastResult: lastResult === null ? "" : truncateLastResult(lastResult),
    "trigger.body": task.triggerBody ?? "",
  });
}

/**
 * Renders a starting task's prompt and stores it on the task (`renderedPrompt`, shown on the
 * task page), returning it. A prompt without `{{` costs no database round trip and stores
 * nothing (its rendered form is itself: taskRenderedPrompt). A rendering failure (a database
 * error) is logged and the stored prompt is used unrendered: a run never fails for its variables.
 */
export async function renderAndStorePrompt(db: Db, task: TaskRow): Promise<string> {
  if (!task.prompt.includes("{{")) return task.prompt;
  try {
    const rendered = await renderTaskPrompt(db, task);
    await setRenderedPrompt(db, task.id, rendered);
    return rendered;
  } catch (err) {
    console.error(`[agentcron] task ${task.id}: prompt variables not rendered`, err);
    return task.prompt;
  }
}

/**
 * The prompt a task's run sent, for the task page: the stored `renderedPrompt`, or — for a
 * started task whose prompt has no variables — the prompt itself; null before the run starts.
 */
export function taskRenderedPrompt(task: Pick<TaskRow, "prompt" | "renderedPrompt" | "startedAt">): string | null {
  if (task.renderedPrompt !== null) return task.renderedPrompt;
  return task.startedAt !== null && !task.prompt.includes("{{") ? task.prompt : null;
}
