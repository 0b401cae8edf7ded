"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { AlertTriangle } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect, NativeSelectOption } from "@/components/ui/native-select";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Separator } from "@/components/ui/separator";
import { Sheet, SheetContent, SheetDescription, SheetFooter, SheetHeader, SheetTitle } from "@/components/ui/sheet";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { Textarea } from "@/components/ui/textarea";
import { CATCH_UP_POLICIES, DEFAULT_MAX_TURNS, LIMITS, OVERLAP_POLICIES } from "@/lib/db/constants";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { formatDateTime } from "@/lib/ui/format";
import { fetchers, qs, queryKeys } from "@/lib/ui/queries";
import type { CollisionWarning, ScheduleDto, TurnCalibration } from "@/lib/ui/types";

const DEFAULT_RUNTIME = "__default__";

const OVERLAP_LABELS: Record<(typeof OVERLAP_POLICIES)[number], string> = {
  skip: "Skip — drop the new occurrence (recorded as skipped)",
  buffer_one: "Buffer one — keep at most one waiting",
  buffer_all: "Buffer all — queue every occurrence",
  cancel_other: "Cancel other — stop the running one, start the new one",
  allow_all: "Allow all — run side by side",
};
const CATCH_UP_LABELS: Record<(typeof CATCH_UP_POLICIES)[number], string> = {
  latest: "Latest — run the newest missed occurrence, count the rest as missed",
  all: "All — run every missed occurrence within the window",
  skip: "Skip — count every missed occurrence as missed",
};

/** Form state: strings for inputs so "empty = inherit" stays representable. */
interface FormState {
  name: string;
  prompt: string;
  scheduleMode: "words" | "cron";
  scheduleText: string;
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
}

function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/** ISO instant → value of an <input type="datetime-local"> in the browser's timezone. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function initialState(s: ScheduleDto | null): FormState {
  if (!s) {
    return {
      name: "",
      prompt: "",
      scheduleMode: "words",
      scheduleText: "",
      timezone: browserTimezone(),
      runtimeId: DEFAULT_RUNTIME,
      maxTurns: "",
      maxRunDurationSec: "",
      maxAttempts: "3",
      overlapPolicy: "skip",
      catchUpPolicy: "latest",
      catchUpWindowSec: "3600",
      maxFirings: "",
      expiresAt: "",
      paused: false,
    };
  }
  return {
    name: s.name,
    prompt: s.prompt,
    scheduleMode: "cron",
    scheduleText: s.cronExpression,
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
  };
}

/** A number input's value: null when empty, NaN-preserving so the server names the field. */
function numberOrNull(v: string): number | null {
  return v.trim() === "" ? null : Number(v);
}

/** Full request body for the form; PATCH sends only what differs from the saved schedule. */
function toBody(f: FormState): Record<string, unknown> {
  return {
    name: f.name,
    prompt: f.prompt,
    ...(f.scheduleMode === "words" ? { schedule: f.scheduleText } : { cronExpression: f.scheduleText }),
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
  };
}

function diffBody(f: FormState, saved: ScheduleDto): Record<string, unknown> {
  const next = toBody(f);
  const before = toBody(initialState(saved));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) {
    if (JSON.stringify(v) !== JSON.stringify(before[k])) out[k] = v;
  }
  // A finished schedule can't be set active/paused by saving other fields.
  if (saved.status !== "active" && saved.status !== "paused" && !("status" in out)) delete out.status;
  return out;
}

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  hint?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="flex flex-col gap-1.5" data-field={id}>
      <Label htmlFor={id}>{label}</Label>
      {children}
      {hint && <div className="text-muted-foreground text-xs">{hint}</div>}
      {error && (
        <p className="text-destructive text-xs" role="alert" data-testid={`error-${id}`}>
          {error}
        </p>
      )}
    </div>
  );
}

const minuteLabel = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/**
 * The one create/edit form for schedules, in a Sheet. Every field of API.md's
 * Schedule round-trips: create POSTs the whole form, edit PATCHes the changed fields.
 * Server `fields` errors show under their inputs. When the save answers collision
 * warnings the sheet stays open on an amber banner with "Keep" and "Edit time".
 */
export function ScheduleFormSheet({
  open,
  onOpenChange,
  schedule,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The schedule to edit; null creates a new one. */
  schedule: ScheduleDto | null;
}) {
  return (
    <Sheet open={open} onOpenChange={onOpenChange}>
      <SheetContent className="w-full overflow-y-auto sm:max-w-xl" data-testid="schedule-sheet">
        {open && <ScheduleForm schedule={schedule} onDone={() => onOpenChange(false)} />}
      </SheetContent>
    </Sheet>
  );
}

function ScheduleForm({ schedule, onDone }: { schedule: ScheduleDto | null; onDone: () => void }) {
  const queryClient = useQueryClient();
  const uid = useId();
  const fid = (name: string) => `${uid}-${name}`;
  // After the first save of a new schedule the sheet edits it: "Keep" / further saves PATCH.
  const [saved, setSaved] = useState<ScheduleDto | null>(schedule);
  const [form, setForm] = useState<FormState>(() => initialState(schedule));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [warnings, setWarnings] = useState<CollisionWarning[]>([]);
  const scheduleInput = useRef<HTMLInputElement>(null);
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => {
      const next = { ...e };
      delete next[key];
      return next;
    });
  };

  const timezones = useMemo(() => {
    const list = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const all = new Set(["UTC", ...list]);
    if (form.timezone) all.add(form.timezone);
    return [...all];
  }, [form.timezone]);

  const runtimes = useQuery({ queryKey: queryKeys.runtimes, queryFn: fetchers.runtimes });
  const settings = useQuery({ queryKey: queryKeys.settings, queryFn: fetchers.settings });

  const previewText = useDebounced(form.scheduleText.trim(), 300);
  const previewParams = { [form.scheduleMode === "words" ? "schedule" : "cronExpression"]: previewText, timezone: form.timezone, count: 5 };
  const preview = useQuery({
    queryKey: ["schedule-preview", previewParams],
    queryFn: () => apiFetch<{ cronExpression: string; description: string; next: string[] }>(`/api/schedules/preview${qs(previewParams)}`),
    enabled: previewText.length > 0,
    retry: false,
    staleTime: 30_000,
  });

  const calibrationParams = { runtimeId: form.runtimeId === DEFAULT_RUNTIME ? undefined : form.runtimeId, excludeScheduleId: saved?.id };
  const calibration = useQuery({
    queryKey: ["calibration", calibrationParams],
    queryFn: () => apiFetch<TurnCalibration>(`/api/schedules/calibration${qs(calibrationParams)}`),
  });

  // A second submit while one is in flight (double click) must not create a second schedule.
  const inFlight = useRef(false);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      saved
        ? apiFetch<{ schedule: ScheduleDto; warnings: CollisionWarning[] }>(`/api/schedules/${saved.id}`, { method: "PATCH", json: body })
        : apiFetch<{ schedule: ScheduleDto; warnings: CollisionWarning[] }>("/api/schedules", { method: "POST", json: body }),
    onSuccess: (data) => {
      setSaved(data.schedule);
      setErrors({});
      queryClient.setQueryData(queryKeys.schedule(data.schedule.id), { schedule: data.schedule });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      if (data.warnings.length) {
        setWarnings(data.warnings);
        return;
      }
      toast.success(`Schedule "${data.schedule.name}" saved`);
      onDone();
    },
    onSettled: () => {
      inFlight.current = false;
    },
    onError: (err) => {
      if (err instanceof ApiError && err.fields) {
        const mapped: Record<string, string> = {};
        for (const [k, v] of Object.entries(err.fields)) mapped[k === "schedule" || k === "cronExpression" ? "scheduleText" : k] = v;
        setErrors(mapped);
      } else {
        setErrors({ form: err.message });
      }
    },
  });

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (inFlight.current) return;
    setWarnings([]);
    const body = saved ? diffBody(form, saved) : toBody(form);
    if (saved && !Object.keys(body).length) {
      toast.success("No changes to save");
      onDone();
      return;
    }
    inFlight.current = true;
    save.mutate(body);
  };

  const editTime = () => {
    setWarnings([]);
    setForm((f) => ({ ...f, scheduleMode: "cron", scheduleText: preview.data?.cronExpression ?? f.scheduleText }));
    setTimeout(() => scheduleInput.current?.focus(), 0);
  };

  const warning = warnings[0];
  const defaultDuration = settings.data?.maxRunDurationSec;

  return (
    <form onSubmit={submit} className="flex min-h-full flex-col" noValidate>
      <SheetHeader>
        <SheetTitle>{saved ? `Edit “${saved.name}”` : "New schedule"}</SheetTitle>
        <SheetDescription>An agent run fired on a cron schedule, with a turn budget and a lease.</SheetDescription>
      </SheetHeader>

      <div className="flex flex-col gap-5 px-4 pb-4">
        {warning && (
          <div role="alert" data-testid="collision-banner" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
            <div className="flex items-start gap-2">
              <AlertTriangle className="mt-0.5 size-4 shrink-0" />
              <div className="flex flex-col gap-1">
                <p className="font-medium">
                  Overlap with {warning.overlappingSchedules.join(", ")}, combined ~{warning.estimatedConcurrentSteps} agent steps; they will take
                  turns.
                </p>
                <p className="text-xs">
                  Saved. Crowded at {warning.overlappingMinutes.slice(0, 6).map(minuteLabel).join(", ")}
                  {warning.overlappingMinutes.length > 6 ? ` and ${warning.overlappingMinutes.length - 6} more` : ""} ({form.timezone}).
                  {warning.suggestedMinute != null && ` ${minuteLabel(warning.suggestedMinute)} is free.`}
                </p>
              </div>
            </div>
            <div className="mt-3 flex flex-wrap gap-2">
              <Button
                type="button"
                size="sm"
                onClick={() => {
                  toast.success(`Schedule "${saved?.name}" saved`);
                  onDone();
                }}
              >
                Keep
              </Button>
              <Button type="button" size="sm" variant="outline" onClick={editTime}>
                Edit time
              </Button>
              {warning.suggestedCronExpression && (
                <Button
                  type="button"
                  size="sm"
                  variant="outline"
                  onClick={() => {
                    setWarnings([]);
                    setForm((f) => ({ ...f, scheduleMode: "cron", scheduleText: warning.suggestedCronExpression! }));
                  }}
                >
                  Use {minuteLabel(warning.suggestedMinute!)}
                </Button>
              )}
            </div>
          </div>
        )}

        <Field id={fid("name")} label="Name" error={errors.name}>
          <Input id={fid("name")} name="name" value={form.name} onChange={(e) => set("name", e.target.value)} aria-invalid={!!errors.name} maxLength={LIMITS.nameMax} />
        </Field>

        <Field
          id={fid("prompt")}
          label="Prompt"
          error={errors.prompt}
          hint={<>Writing &ldquo;MAX 20 turns&rdquo; in a prompt is only a hint to the agent; the enforced budget is &ldquo;Max agent steps per run&rdquo; below.</>}
        >
          <Textarea id={fid("prompt")} name="prompt" rows={5} value={form.prompt} onChange={(e) => set("prompt", e.target.value)} aria-invalid={!!errors.prompt} />
        </Field>

        <Separator />

        <div className="flex flex-col gap-1.5">
          <div className="flex items-center justify-between">
            <Label htmlFor={fid("schedule")}>Schedule</Label>
            <Tabs value={form.scheduleMode} onValueChange={(v) => set("scheduleMode", v as FormState["scheduleMode"])}>
              <TabsList className="h-8">
                <TabsTrigger value="words">Plain words</TabsTrigger>
                <TabsTrigger value="cron">Cron</TabsTrigger>
              </TabsList>
            </Tabs>
          </div>
          <Input
            ref={scheduleInput}
            id={fid("schedule")}
            name="schedule"
            className={form.scheduleMode === "cron" ? "font-mono" : undefined}
            placeholder={form.scheduleMode === "words" ? "every 15 minutes · weekdays at 9:00 · daily at 18:30" : "*/15 * * * * (5 fields, or 6 with seconds)"}
            value={form.scheduleText}
            onChange={(e) => set("scheduleText", e.target.value)}
            aria-invalid={!!errors.scheduleText}
          />
          {errors.scheduleText && (
            <p className="text-destructive text-xs" role="alert" data-testid="error-schedule">
              {errors.scheduleText}
            </p>
          )}
          <div className="bg-muted/50 rounded-md border p-3 text-sm" data-testid="schedule-preview" aria-live="polite">
            {!previewText ? (
              <span className="text-muted-foreground">Type a schedule to see when it fires.</span>
            ) : preview.isPending || previewText !== form.scheduleText.trim() ? (
              <div className="flex flex-col gap-2">
                <Skeleton className="h-4 w-2/3" />
                <Skeleton className="h-3 w-1/2" />
              </div>
            ) : preview.error ? (
              <span className="text-destructive">
                {preview.error instanceof ApiError && preview.error.fields
                  ? Object.values(preview.error.fields)[0]
                  : `Preview unavailable: ${preview.error.message}`}
              </span>
            ) : (
              <div className="flex flex-col gap-1">
                <div className="font-medium">{preview.data.description}</div>
                <div className="text-muted-foreground font-mono text-xs">{preview.data.cronExpression}</div>
                <ol className="text-muted-foreground mt-1 list-inside list-decimal text-xs" data-testid="preview-next">
                  {preview.data.next.map((iso) => (
                    <li key={iso}>{formatDateTime(iso, form.timezone)}</li>
                  ))}
                </ol>
              </div>
            )}
          </div>
        </div>

        <Field id={fid("timezone")} label="Timezone" error={errors.timezone} hint="Cron fields are evaluated in this timezone (DST included).">
          <NativeSelect
            id={fid("timezone")}
            name="timezone"
            value={form.timezone}
            onChange={(e) => set("timezone", e.target.value)}
            aria-invalid={!!errors.timezone}
            wrapperClassName="w-full"
          >
            {timezones.map((tz) => (
              <NativeSelectOption key={tz} value={tz}>
                {tz}
              </NativeSelectOption>
            ))}
          </NativeSelect>
        </Field>

        <Field
          id={fid("runtime")}
          label="Runtime"
          error={errors.runtimeId}
          hint={runtimes.error ? <span className="text-destructive">Could not load runtimes: {runtimes.error.message}</span> : "Empty uses the default runtime at fire time."}
        >
          {runtimes.isPending ? (
            <Skeleton className="h-9 w-full" />
          ) : (
            <Select value={form.runtimeId} onValueChange={(v) => set("runtimeId", v)}>
              <SelectTrigger id={fid("runtime")} aria-invalid={!!errors.runtimeId} data-testid="runtime-select">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={DEFAULT_RUNTIME}>Default runtime</SelectItem>
                {runtimes.data?.runtimes.map((r) => (
                  <SelectItem key={r.id} value={r.id}>
                    {r.name} ({r.kind}){r.isDefault ? " · default" : ""}
                  </SelectItem>
                ))}
                {form.runtimeId !== DEFAULT_RUNTIME && !runtimes.data?.runtimes.some((r) => r.id === form.runtimeId) && (
                  <SelectItem value={form.runtimeId}>Unknown runtime {form.runtimeId}</SelectItem>
                )}
              </SelectContent>
            </Select>
          )}
        </Field>

        <Field
          id={fid("maxTurns")}
          label="Max agent steps per run"
          error={errors.maxTurns}
          hint={
            <div className="flex flex-col gap-0.5">
              <span>
                One step = one agent turn (an assistant message with its tool calls). Typical runs take 50–500. Empty inherits the default (
                {DEFAULT_MAX_TURNS}). The run stops at this budget.
              </span>
              {calibration.error && <span className="text-muted-foreground">Calibration unavailable: {calibration.error.message}</span>}
              {calibration.data?.medianAvgTurns != null && (
                <span data-testid="calibration-hint" className="text-foreground">
                  Schedules on this runtime average ~{calibration.data.medianAvgTurns} steps.
                </span>
              )}
            </div>
          }
        >
          <Input
            id={fid("maxTurns")}
            name="maxTurns"
            type="number"
            inputMode="numeric"
            min={LIMITS.maxTurnsMin}
            max={LIMITS.maxTurnsMax}
            placeholder={`inherit (${DEFAULT_MAX_TURNS})`}
            value={form.maxTurns}
            onChange={(e) => set("maxTurns", e.target.value)}
            aria-invalid={!!errors.maxTurns}
          />
        </Field>

        <Field
          id={fid("maxRunDurationSec")}
          label="Max run duration (seconds)"
          error={errors.maxRunDurationSec}
          hint="The lease of each run; the reaper stops a run that outlives it. Empty inherits the global setting."
        >
          <Input
            id={fid("maxRunDurationSec")}
            name="maxRunDurationSec"
            type="number"
            min={1}
            placeholder={defaultDuration ? `inherit (${defaultDuration} s)` : "inherit"}
            value={form.maxRunDurationSec}
            onChange={(e) => set("maxRunDurationSec", e.target.value)}
            aria-invalid={!!errors.maxRunDurationSec}
          />
        </Field>

        <Field id={fid("overlapPolicy")} label="Overlap policy" error={errors.overlapPolicy} hint="When the previous run of this schedule is still queued or running.">
          <Select value={form.overlapPolicy} onValueChange={(v) => set("overlapPolicy", v as FormState["overlapPolicy"])}>
            <SelectTrigger id={fid("overlapPolicy")} data-testid="overlap-select">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {OVERLAP_POLICIES.map((p) => (
                <SelectItem key={p} value={p}>
                  {OVERLAP_LABELS[p]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </Field>

        <Field id={fid("catchUpPolicy")} label="Catch-up policy" error={errors.catchUpPolicy} hint="Occurrences missed while the server was down.">
          <Select value={form.catchUpPolicy} onValueChange={(v) => set("catchUpPolicy", v as FormState["catchUpPolicy"])}>
            <SelectTrigger id={fid("catchUpPolicy")} data-testid="catchup-select">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {CATCH_UP_POLICIES.map((p) => (
                <SelectItem key={p} value={p}>
                  {CATCH_UP_LABELS[p]}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </Field>
        <div className="grid grid-cols-2 gap-4">
          <Field id={fid("catchUpWindowSec")} label="Catch-up window (seconds)" error={errors.catchUpWindowSec}>
            <Input
              id={fid("catchUpWindowSec")}
              name="catchUpWindowSec"
              type="number"
              min={0}
              value={form.catchUpWindowSec}
              onChange={(e) => set("catchUpWindowSec", e.target.value)}
              aria-invalid={!!errors.catchUpWindowSec}
            />
          </Field>
          <Field id={fid("maxAttempts")} label="Attempts" error={errors.maxAttempts} hint="First run + retries of infrastructure failures.">
            <Input
              id={fid("maxAttempts")}
              name="maxAttempts"
              type="number"
              min={1}
              max={LIMITS.maxAttemptsMax}
              value={form.maxAttempts}
              onChange={(e) => set("maxAttempts", e.target.value)}
              aria-invalid={!!errors.maxAttempts}
            />
          </Field>
        </div>

        <div className="grid grid-cols-2 gap-4">
          <Field id={fid("maxFirings")} label="Max firings" error={errors.maxFirings} hint="Empty = no limit.">
            <Input
              id={fid("maxFirings")}
              name="maxFirings"
              type="number"
              min={1}
              placeholder="no limit"
              value={form.maxFirings}
              onChange={(e) => set("maxFirings", e.target.value)}
              aria-invalid={!!errors.maxFirings}
            />
          </Field>
          <Field id={fid("expiresAt")} label="Expires at" error={errors.expiresAt} hint="Your browser's local time. Empty = never.">
            <Input
              id={fid("expiresAt")}
              name="expiresAt"
              type="datetime-local"
              value={form.expiresAt}
              onChange={(e) => set("expiresAt", e.target.value)}
              aria-invalid={!!errors.expiresAt}
            />
          </Field>
        </div>

        {(!saved || saved.status === "active" || saved.status === "paused") && (
          <div className="flex items-center gap-3">
            <Switch id={fid("paused")} checked={!form.paused} onCheckedChange={(on) => set("paused", !on)} />
            <Label htmlFor={fid("paused")}>{form.paused ? "Paused" : "Active"}</Label>
            {errors.status && <p className="text-destructive text-xs">{errors.status}</p>}
          </div>
        )}

        {(errors.form || errors.body) && (
          <p role="alert" className="text-destructive text-sm">
            {errors.form ?? errors.body}
          </p>
        )}
      </div>

      <SheetFooter className="bg-background sticky bottom-0 flex-row justify-end border-t">
        <Button type="button" variant="outline" onClick={onDone}>
          {warning ? "Close" : "Cancel"}
        </Button>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : saved ? "Save changes" : "Create schedule"}
        </Button>
      </SheetFooter>
    </form>
  );
}
