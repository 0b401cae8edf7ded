import { z } from "zod";
import { LIMITS, TASK_STATUSES } from "../db/constants";

/** `?limit=&before=` of the task lists: 1..200 (default 50), `before` = the previous page's nextCursor. */
export const taskPageQuerySchema = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int("must be an integer").min(1, "must be at least 1").max(200, "must be at most 200").default(50),
  before: z.string().min(1).max(200, "is too long").optional(),
});

/** GET /api/tasks query. */
export const taskListQuerySchema = taskPageQuerySchema.extend({
  status: z.enum(TASK_STATUSES, { error: `must be one of ${TASK_STATUSES.join(", ")}` }).optional(),
  scheduleId: z.string().min(1).max(100, "is too long").optional(),
});

/** `?force=true` of Run now and rerun. */
export const forceQuerySchema = z.object({
  force: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional(),
});

/**
 * `?force=true` / `?queue=true` of Run now and rerun: bypass a full cap, or leave the task
 * queued for a slot (not both); `whilePaused` (Run now only) runs a paused schedule once,
 * to test a fix, without resuming it.
 */
export const manualRunQuerySchema = forceQuerySchema
  .extend({
    queue: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional(),
    whilePaused: z.enum(["true", "false"], { error: 'must be "true" or "false"' }).optional(),
  })
  .refine((q) => !(q.force === "true" && q.queue === "true"), { path: ["queue"], message: "can't be combined with force=true" });

/** GET /api/tasks/:id/events `?after=<event id>`. */
export const taskEventsQuerySchema = z.object({
  after: z.coerce.number({ error: "must be a number" }).int("must be an integer").min(0, "must be ≥ 0").optional(),
});

/** GET /api/schedules/:id/events `?limit=&before=<event id>`. */
export const scheduleEventsQuerySchema = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int().min(1, "must be at least 1").max(500, "must be at most 500").default(100),
  before: z.coerce.number({ error: "must be a number" }).int().min(1).optional(),
});

/** GET /api/schedules/:id/metrics `?since=<ISO date>` (default: 30 days back). */
export const metricsQuerySchema = z.object({
  since: z.iso
    .datetime({ error: "must be an ISO-8601 date-time", offset: true })
    .refine((v) => {
      const ms = Date.parse(v);
      return ms >= LIMITS.timestampMinMs && ms <= LIMITS.timestampMaxMs;
    }, "must be between 1970-01-01 and 9999-12-31")
    .optional(),
});
