"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useFormContext, useWatch } from "react-hook-form";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Textarea } from "@/components/ui/textarea";
import { LIMITS } from "@/lib/db/constants";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { apiFetch } from "@/lib/ui/api-client";
import { fetchers, qs, queryKeys } from "@/lib/ui/queries";
import type { TurnCalibration } from "@/lib/ui/types";
import { DEFAULT_RUNTIME, type ScheduleFormValues } from "./schema";

/** Part 0 of the sheet, "what": name and prompt. */
export function TaskSection() {
  const form = useFormContext<ScheduleFormValues>();
  return (
    <section aria-label="Task" className="flex flex-col gap-4" data-testid="sheet-task">
      <FormField
        control={form.control}
        name="name"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Name</FormLabel>
            <FormControl>
              <Input {...field} maxLength={LIMITS.nameMax} autoComplete="off" />
            </FormControl>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="prompt"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Prompt</FormLabel>
            <FormControl>
              <Textarea {...field} rows={5} />
            </FormControl>
            <FormDescription>Writing &ldquo;MAX 20 turns&rdquo; in a prompt is only a hint to the agent; the enforced budget is &ldquo;Max turns per run&rdquo; below.</FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
    </section>
  );
}

/** Part 2 of the sheet, "agent": which runtime runs it, its max turns and lease. */
export function AgentSection({ excludeScheduleId }: { excludeScheduleId?: string }) {
  const form = useFormContext<ScheduleFormValues>();
  const runtimeId = useWatch<ScheduleFormValues, "runtimeId">({ name: "runtimeId" });
  const runtimes = useQuery({ queryKey: queryKeys.runtimes, queryFn: fetchers.runtimes });
  const settings = useQuery({ queryKey: queryKeys.settings, queryFn: fetchers.settings });
  const calibrationParams = { runtimeId: runtimeId === DEFAULT_RUNTIME ? undefined : runtimeId, excludeScheduleId };
  const calibration = useQuery({
    queryKey: ["calibration", calibrationParams],
    queryFn: () => apiFetch<TurnCalibration>(`/api/schedules/calibration${qs(calibrationParams)}`),
  });
  const list = runtimes.data?.runtimes ?? [];
  const defaultRuntime = list.find((r) => r.isDefault);
  const defaultDuration = settings.data?.maxRunDurationSec;

  return (
    <section aria-labelledby="sheet-agent" className="flex flex-col gap-4" data-testid="sheet-agent">
      <h3 id="sheet-agent" className="text-sm font-semibold">
        Agent
      </h3>
      <FormField
        control={form.control}
        name="runtimeId"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Runtime</FormLabel>
            {runtimes.isPending ? (
              <Skeleton className="h-9 w-full" />
            ) : (
              <Select value={field.value} onValueChange={field.onChange}>
                <FormControl>
                  <SelectTrigger ref={field.ref} onBlur={field.onBlur} data-testid="runtime-select" className="w-full">
                    <SelectValue />
                  </SelectTrigger>
                </FormControl>
                <SelectContent>
                  <SelectItem value={DEFAULT_RUNTIME}>{defaultRuntime ? `Default runtime (${defaultRuntime.name})` : "Default runtime (none yet)"}</SelectItem>
                  {list.map((r) => (
                    <SelectItem key={r.id} value={r.id}>
                      {r.name} ({r.kind}){r.isDefault ? " · default" : ""}
                    </SelectItem>
                  ))}
                  {field.value !== DEFAULT_RUNTIME && !list.some((r) => r.id === field.value) && <SelectItem value={field.value}>Unknown runtime {field.value}</SelectItem>}
                </SelectContent>
              </Select>
            )}
            <FormDescription>
              {runtimes.error ? (
                <span className="text-destructive">Could not load runtimes: {runtimes.error.message}</span>
              ) : !runtimes.isPending && !list.length ? (
                <span data-testid="no-runtime-hint">
                  No runtime yet: an active schedule needs one. <Link className="underline" href="/settings">Add a runtime in Settings</Link> or save it paused.
                </span>
              ) : (
                "The default runtime is the one marked default in Settings when the run starts."
              )}
            </FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="maxTurns"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Max turns per run</FormLabel>
            <FormControl>
              <Input {...field} type="number" inputMode="numeric" min={LIMITS.maxTurnsMin} max={LIMITS.maxTurnsMax} placeholder={`inherit (${SCHEDULE_DEFAULTS.maxTurns})`} />
            </FormControl>
            <FormDescription className="flex flex-col gap-0.5">
              <span>
                One turn = an assistant message with its tool calls. Typical runs take 50–500. Empty inherits the default ({SCHEDULE_DEFAULTS.maxTurns}). The run stops at
                this budget.
              </span>
              {calibration.error && <span>Calibration unavailable: {calibration.error.message}</span>}
              {calibration.data?.medianAvgTurns != null && (
                <span data-testid="calibration-hint" className="text-foreground">
                  Schedules on this runtime average ~{calibration.data.medianAvgTurns} turns.
                </span>
              )}
            </FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
      <FormField
        control={form.control}
        name="maxRunDurationSec"
        render={({ field }) => (
          <FormItem>
            <FormLabel>Max run duration (seconds)</FormLabel>
            <FormControl>
              <Input {...field} type="number" min={1} placeholder={defaultDuration ? `inherit (${defaultDuration} s)` : "inherit"} />
            </FormControl>
            <FormDescription>The lease of each run; the reaper stops a run that outlives it. Empty inherits the global setting.</FormDescription>
            <FormMessage />
          </FormItem>
        )}
      />
    </section>
  );
}
