"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useFormContext, useWatch } from "react-hook-form";
import { TimezoneCombobox } from "@/components/time/timezone-combobox";
import { ZonedTime } from "@/components/time/zoned-time";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage, useFormField } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { afterUpstreamWords } from "@/lib/ui/chained";
import { fetchers, qs, queryKeys } from "@/lib/ui/queries";
import type { ScheduleFormValues } from "./schema";
import { NO_DEPENDENCY } from "./trigger-fields";

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

type Preview = { cronExpression: string; description: string; next: string[] };
const fetchPreview = (params: Record<string, string | number>) => apiFetch<Preview>(`/api/schedules/preview${qs(params)}`);

/** The preview of the next fires, from GET /api/schedules/preview (the server parses cron and plain words). */
function SchedulePreview() {
  const [mode, text, timezone] = useWatch<ScheduleFormValues, ["scheduleMode", "schedule", "timezone"]>({ name: ["scheduleMode", "schedule", "timezone"] });
  const previewText = useDebounced(mode === "after" ? "" : (text ?? "").trim(), 300);
  const params = { [mode === "words" ? "schedule" : "cronExpression"]: previewText, timezone, count: 5 };
  const preview = useQuery({
    queryKey: ["schedule-preview", params],
    queryFn: () => fetchPreview(params),
    enabled: previewText.length > 0,
    retry: false,
    staleTime: 30_000,
  });
  return (
    <div className="bg-muted/50 rounded-md border p-3 text-sm" data-testid="schedule-preview" aria-live="polite">
      {mode === "after" ? (
        <AfterUpstreamPreview />
      ) : !previewText ? (
        <span className="text-muted-foreground">Type a schedule to see when it fires.</span>
      ) : preview.isPending || previewText !== (text ?? "").trim() ? (
        <div className="flex flex-col gap-2">
          <Skeleton className="h-4 w-2/3" />
          <Skeleton className="h-3 w-1/2" />
        </div>
      ) : preview.error ? (
        <span className="text-destructive">
          {preview.error instanceof ApiError && preview.error.fields ? `Schedule ${Object.values(preview.error.fields)[0]}` : `Preview unavailable: ${preview.error.message}`}
        </span>
      ) : (
        <div className="flex flex-col gap-1">
          <div className="font-medium">{preview.data.description}</div>
          <div className="text-muted-foreground font-mono text-xs">{preview.data.cronExpression}</div>
          <ol className="text-muted-foreground mt-1 list-inside list-decimal text-xs" data-testid="preview-next">
            {preview.data.next.map((iso) => (
              <li key={iso}>
                <ZonedTime iso={iso} timeZone={timezone} />
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

/** The preview for "Only after" (ADR 0024): no cron, the next run is "after <upstream>". */
function AfterUpstreamPreview() {
  const dependsOn = useWatch<ScheduleFormValues, "dependsOnScheduleId">({ name: "dependsOnScheduleId" });
  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules });
  const words = dependsOn === NO_DEPENDENCY ? null : afterUpstreamWords({ cronExpression: null, dependsOnScheduleId: dependsOn }, schedules.data?.schedules);
  return (
    <div className="flex flex-col gap-1" data-testid="preview-after-upstream">
      <div className="font-medium">{words ? `Runs ${words} succeeds` : "Runs only after another schedule succeeds"}</div>
      <div className="text-muted-foreground text-xs">
        {words
          ? "No cron: it never fires on its own. Within a second after each successful run of that schedule, once per run."
          : "Choose that schedule under Triggers → Run after."}
      </div>
    </div>
  );
}

/**
 * Part 1 of the sheet, "when": the schedule in plain words or cron (each tab owns a real
 * tab panel holding the input), its live preview, and the timezone it is evaluated in.
 */
export function WhenSection() {
  const form = useFormContext<ScheduleFormValues>();
  const mode = useWatch<ScheduleFormValues, "scheduleMode">({ name: "scheduleMode" });
  const queryClient = useQueryClient();

  /**
   * Plain words → Cron carries the schedule over as the cron it resolves to (issue #12
   * item 9), read from the same preview query the sheet shows (cached, else fetched);
   * words the server refuses stay as typed so the error still names them.
   */
  const switchMode = async (next: ScheduleFormValues["scheduleMode"]) => {
    const words = (form.getValues("schedule") ?? "").trim();
    const timezone = form.getValues("timezone");
    form.setValue("scheduleMode", next, { shouldDirty: true });
    if (next !== "cron" || mode !== "words" || !words) return;
    try {
      const params = { schedule: words, timezone, count: 5 };
      const preview = await queryClient.fetchQuery({ queryKey: ["schedule-preview", params], queryFn: () => fetchPreview(params), staleTime: 30_000 });
      if (form.getValues("schedule").trim() === words) form.setValue("schedule", preview.cronExpression, { shouldDirty: true, shouldValidate: true });
    } catch {
      // Not understood: keep the words; the preview shows why.
    }
  };

  return (
    <section aria-labelledby="sheet-when" className="flex flex-col gap-4" data-testid="sheet-when">
      <h3 id="sheet-when" className="text-sm font-semibold">
        When
      </h3>
      <FormField
        control={form.control}
        name="schedule"
        render={({ field }) => (
          <FormItem>
            <Tabs value={mode} onValueChange={(v) => void switchMode(v as ScheduleFormValues["scheduleMode"])} className="gap-1.5">
              <div className="flex items-center justify-between gap-2">
                <FormLabel>Schedule</FormLabel>
                <TabsList className="h-8" aria-label="Schedule format">
                  <TabsTrigger value="words">Plain words</TabsTrigger>
                  <TabsTrigger value="cron">Cron</TabsTrigger>
                  <TabsTrigger value="after" data-testid="schedule-mode-after">
                    Only after
                  </TabsTrigger>
                </TabsList>
              </div>
              <TabsContent value="after" forceMount className="data-[state=inactive]:hidden">
                {mode === "after" && <p className="text-muted-foreground text-xs">No clock: this schedule runs only after its upstream (Triggers → Run after).</p>}
              </TabsContent>
              {(["words", "cron"] as const).map((m) => (
                // Both panels stay in the DOM so each tab's aria-controls names a real panel; the input lives in the active one.
                <TabsContent key={m} value={m} forceMount className="data-[state=inactive]:hidden">
                  {m === mode && (
                    <FormControl>
                      <Input
                        {...field}
                        className={mode === "cron" ? "font-mono" : undefined}
                        autoComplete="off"
                        placeholder={mode === "words" ? "every 15 minutes · weekdays at 9:00 · daily at 18:30" : "*/15 * * * * (5 fields, or 6 with seconds)"}
                      />
                    </FormControl>
                  )}
                </TabsContent>
              ))}
            </Tabs>
            <FormMessage />
            <SchedulePreview />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="timezone"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Timezone</FormLabel>
            <TimezoneField value={field.value} onChange={field.onChange} />
            <FormDescription>Cron fields are evaluated in this timezone (DST included).</FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
    </section>
  );
}

/** The sheet's timezone input: the searchable combobox wired to its form item's label, description and error. */
function TimezoneField({ value, onChange }: { value: string; onChange: (tz: string) => void }) {
  const { error, formItemId, formDescriptionId, formMessageId } = useFormField();
  return (
    <TimezoneCombobox
      id={formItemId}
      value={value}
      onChange={onChange}
      invalid={Boolean(error)}
      describedBy={error ? `${formDescriptionId} ${formMessageId}` : formDescriptionId}
    />
  );
}
