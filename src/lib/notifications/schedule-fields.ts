/**
 * A schedule's notification fields (API.md v2 "Notifications"): zod input, spread into the
 * schedule input schema (schedules/input.ts), and the row ↔ API mapping. Client-safe (zod and
 * constants only): the schedule sheet validates with the same bounds.
 *
 * - `notificationChannelIds: string[] | null` — null (the default) uses the channels marked
 *   default in Settings → Notifications; `[]` notifies nobody.
 * - `notifyOn: NotificationEvent[] | null` — null uses DEFAULT_NOTIFY_ON (everything but
 *   `task_succeeded`).
 * - `quietResultMarker: string | null` — a success whose result contains it is not notified.
 */
import { z } from "zod";
import { NOTIFICATION_EVENTS, type NotificationEvent } from "../db/constants";

/** Most channels one schedule can name. */
export const MAX_SCHEDULE_CHANNELS = 20;
/** Longest quiet-result marker, characters. */
export const QUIET_MARKER_MAX = 200;

export const notificationScheduleFields = {
  notificationChannelIds: z
    .array(z.string({ error: "must be channel ids" }).min(1).max(100), { error: "must be a list of channel ids" })
    .max(MAX_SCHEDULE_CHANNELS, `must name at most ${MAX_SCHEDULE_CHANNELS} channels`)
    .nullable(),
  notifyOn: z
    .array(z.enum(NOTIFICATION_EVENTS, { error: `must be among ${NOTIFICATION_EVENTS.join(", ")}` }), { error: "must be a list of events" })
    .max(NOTIFICATION_EVENTS.length)
    .nullable(),
  quietResultMarker: z
    .string({ error: "must be a string" })
    .max(QUIET_MARKER_MAX, `must be at most ${QUIET_MARKER_MAX} characters`)
    .nullable()
    .transform((v) => (v == null || v.trim() === "" ? null : v)),
};

/** The notification fields of a schedule row. */
export interface ScheduleNotificationFields {
  notificationChannelIds: string[] | null;
  notifyOn: NotificationEvent[] | null;
  quietResultMarker: string | null;
}

/** The fields of a create input, defaults applied (null = inherit). */
export function notificationFieldsOf(input: Partial<ScheduleNotificationFields>): ScheduleNotificationFields {
  return {
    notificationChannelIds: input.notificationChannelIds ? [...new Set(input.notificationChannelIds)] : (input.notificationChannelIds ?? null),
    notifyOn: input.notifyOn ? [...new Set(input.notifyOn)] : (input.notifyOn ?? null),
    quietResultMarker: input.quietResultMarker ?? null,
  };
}

/** The fields a PATCH changes (absent keys keep the row's values). */
export function notificationPatchOf(patch: Partial<ScheduleNotificationFields>): Partial<ScheduleNotificationFields> {
  const full = notificationFieldsOf(patch);
  const out: Partial<ScheduleNotificationFields> = {};
  for (const key of ["notificationChannelIds", "notifyOn", "quietResultMarker"] as const) {
    if (patch[key] !== undefined) (out as Record<string, unknown>)[key] = full[key];
  }
  return out;
}

/** The API shape (the same three fields). */
export function serializeNotificationFields(row: ScheduleNotificationFields): ScheduleNotificationFields {
  return { notificationChannelIds: row.notificationChannelIds ?? null, notifyOn: row.notifyOn ?? null, quietResultMarker: row.quietResultMarker ?? null };
}
