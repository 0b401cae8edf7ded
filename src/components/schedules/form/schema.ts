/**
 * The schedule sheet's form model: string inputs (so "empty = inherit" stays
 * representable), validated with the server's own zod fields (lib/schedules/input.ts) so
 * bounds and messages match; the server stays the authority on cron and plain words.
 */
import { z } from "zod";
import { CATCH_UP_POLICIES, OVERLAP_POLICIES } from "@/lib/db/constants";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { scheduleFields } from "@/lib/schedules/input";
import { concurrencyGroupName } from "@/lib/concurrency-groups/fields";
import type { ScheduleDto } from "@/lib/ui/types";
import { NO_DEPENDENCY, TRIGGER_FIELDS, triggerBody, triggerFormSchema, triggerInitialValues, type TriggerFormValues } from "./trigger-fields";
import { SPEND_FORM_FIELDS, spendBody, spendFormSchemaFields, spendFormValues, type SpendFormValues } from "../budget-form";
// --- notifications (issue 11): the sheet's Notifications part keeps its values under `notifications` ---
import { notificationBody, notificationFormSchema, notificationFormValuesOf, type NotificationFormValues } from "../notifications-section";
// --- end notifications ---

/** Select value standing for "runtimeId: null" (the default runtime at fire time). */
export const DEFAULT_RUNTIME = "__default__";

export interface ScheduleFormValues extends TriggerFormValues, SpendFormValues {
  name: string;
  prompt: string;
  /** "after" = no cron: runs only after the upstream chosen in Triggers → Run after (ADR 0024). */
  scheduleMode: "words" | "cron" | "after";
  /** Plain words or a cron expression, per scheduleMode ("" and unused for "after"). */
  schedule: string;
  timezone: string;
  runtimeId: string;
  maxTurns: string;
  maxRunDurationSec: string;
  maxAttempts: string;
  overlapPolicy: (typeof OVERLAP_POLICIES)[number];
  catchUpPolicy: (typeof CATCH_UP_POLICIES)[number];
  catchUpWindowSec: string;
  maxFirings: string;
  expiresAt: string;
  paused: boolean;
  /** Concurrency group name (issue 12 item 4); "" = none. */
  concurrencyGroup: string;
  /** notifications (issue 11): channels, events, quiet marker. */
  notifications: NotificationFormValues;
}

/** "" → null (inherit / no limit), else the number (NaN stays NaN so the field's own message names it). */
const optionalNumber = z.string().transform((v) => (v.trim() === "" ? null : Number(v)));
/** "" → NaN: a required number left empty gets the field's "must be a number". */
const requiredNumber = z.string().transform((v) => (v.trim() === "" ? Number.NaN : Number(v)));

/** Client-side check of the form; the same fields and messages as the API. */
export const scheduleFormSchema = z
  .object({
    name: scheduleFields.name,
    prompt: scheduleFields.prompt,
    scheduleMode: z.enum(["words", "cron", "after"]),
    schedule: z.string(),
    timezone: scheduleFields.timezone,
    runtimeId: z.string(),
    maxTurns: optionalNumber.pipe(scheduleFields.maxTurns),
    maxRunDurationSec: optionalNumber.pipe(scheduleFields.maxRunDurationSec),
    maxAttempts: requiredNumber.pipe(scheduleFields.maxAttempts),
    overlapPolicy: scheduleFields.overlapPolicy,
    catchUpPolicy: scheduleFields.catchUpPolicy,
    catchUpWindowSec: requiredNumber.pipe(scheduleFields.catchUpWindowSec),
    maxFirings: optionalNumber.pipe(scheduleFields.maxFirings),
    expiresAt: z.string(),
    paused: z.boolean(),
    ...triggerFormSchema,
    concurrencyGroup: z.string().transform((v) => (v.trim() === "" ? null : v.trim())).pipe(concurrencyGroupName.nullable()),
    ...spendFormSchemaFields,
    notifications: notificationFormSchema,
  })
  .superRefine((v, ctx) => {
    // Cron optional with an upstream (ADR 0024): "Only after" needs the upstream; the other modes need the schedule text.
    if (v.scheduleMode === "after") {
      if (v.dependsOnScheduleId === NO_DEPENDENCY) {
        ctx.addIssue({ code: "custom", path: ["dependsOnScheduleId"], message: "Pick the schedule this one runs after (or give it a schedule of its own)" });
      }
      return;
    }
    const parsed = scheduleFields.schedule.safeParse(v.schedule);
    if (!parsed.success) ctx.addIssue({ code: "custom", path: ["schedule"], message: parsed.error.issues[0]?.message ?? "is invalid" });
  });

/** Server field names → form field names (plain words and cron share one input). */
export function formFieldOf(serverField: string): keyof ScheduleFormValues | "form" {
  if (serverField === "cronExpression" || serverField === "schedule") return "schedule";
  if (serverField === "status") return "paused";
  const known: string[] = ["name", "prompt", "timezone", "runtimeId", "maxTurns", "maxRunDurationSec", "maxAttempts", "overlapPolicy", "catchUpPolicy", "catchUpWindowSec", "maxFirings", "expiresAt", ...TRIGGER_FIELDS, "concurrencyGroup", ...SPEND_FORM_FIELDS];
  return known.includes(serverField) ? (serverField as keyof ScheduleFormValues) : "form";
}

export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || SCHEDULE_DEFAULTS.timezone;
  } catch {
    return SCHEDULE_DEFAULTS.timezone;
  }
}

/** ISO instant → value of an <input type="datetime-local"> in the browser's timezone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A template's fields for a new schedule (onboarding templates fill the sheet). */
export type ScheduleTemplate = Partial<Pick<ScheduleFormValues, "name" | "prompt" | "scheduleMode" | "schedule" | "maxTurns" | "runtimeId">>;

export function initialValues(s: ScheduleDto | null, template?: ScheduleTemplate): ScheduleFormValues {
  if (!s) {
    return {
      name: "",
      prompt: "",
      scheduleMode: "words",
      schedule: "",
      timezone: browserTimezone(),
      runtimeId: DEFAULT_RUNTIME,
      maxTurns: "",
      maxRunDurationSec: "",
      maxAttempts: String(SCHEDULE_DEFAULTS.maxAttempts),
      overlapPolicy: SCHEDULE_DEFAULTS.overlapPolicy,
      catchUpPolicy: SCHEDULE_DEFAULTS.catchUpPolicy,
      catchUpWindowSec: String(SCHEDULE_DEFAULTS.catchUpWindowSec),
      maxFirings: "",
      expiresAt: "",
      paused: SCHEDULE_DEFAULTS.status === "paused",
      ...triggerInitialValues(null),
      concurrencyGroup: "",
      ...spendFormValues(null),
      notifications: notificationFormValuesOf(null),
      ...template,
    };
  }
  return {
    name: s.name,
    prompt: s.prompt,
    scheduleMode: s.cronExpression === null ? "after" : "cron",
    schedule: s.cronExpression ?? "",
    timezone: s.timezone,
    runtimeId: s.runtimeId ?? DEFAULT_RUNTIME,
    maxTurns: s.maxTurns == null ? "" : String(s.maxTurns),
    maxRunDurationSec: s.maxRunDurationSec == null ? "" : String(s.maxRunDurationSec),
    maxAttempts: String(s.maxAttempts),
    overlapPolicy: s.overlapPolicy,
    catchUpPolicy: s.catchUpPolicy,
    catchUpWindowSec: String(s.catchUpWindowSec),
    maxFirings: s.maxFirings == null ? "" : String(s.maxFirings),
    expiresAt: toLocalInput(s.expiresAt),
    paused: s.status === "paused",
    ...triggerInitialValues(s),
    concurrencyGroup: s.concurrencyGroup ?? "",
    ...spendFormValues(s),
    notifications: notificationFormValuesOf(s),
  };
}

const numberOrNull = (v: string) => (v.trim() === "" ? null : Number(v));

/** Full request body (POST /api/schedules) for the form's values. */
export function toBody(f: ScheduleFormValues): Record<string, unknown> {
  return {
    name: f.name,
    prompt: f.prompt,
    ...(f.scheduleMode === "words" ? { schedule: f.schedule } : { cronExpression: f.scheduleMode === "after" ? null : f.schedule }),
    timezone: f.timezone,
    runtimeId: f.runtimeId === DEFAULT_RUNTIME ? null : f.runtimeId,
    maxTurns: numberOrNull(f.maxTurns),
    maxRunDurationSec: numberOrNull(f.maxRunDurationSec),
    maxAttempts: Number(f.maxAttempts),
    overlapPolicy: f.overlapPolicy,
    catchUpPolicy: f.catchUpPolicy,
    catchUpWindowSec: Number(f.catchUpWindowSec),
    maxFirings: numberOrNull(f.maxFirings),
    expiresAt: f.expiresAt ? new Date(f.expiresAt).toISOString() : null,
    status: f.paused ? "paused" : "active",
    ...triggerBody(f),
    concurrencyGroup: f.concurrencyGroup.trim() || null, // concurrency groups (issue 12 item 4)
    ...spendBody(f),
    ...notificationBody(f.notifications),
  };
}

/** PATCH body: only what differs from the saved schedule. */
export function diffBody(f: ScheduleFormValues, saved: ScheduleDto): Record<string, unknown> {
  const next = toBody(f);
  const before = toBody(initialValues(saved));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    if (JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = v;
  }
  // A finished schedule can't be set active/paused by saving other fields.
  if (saved.status !== "active" && saved.status !== "paused" && !("status" in out)) delete out.status;
  return out;
}
