"use client";

import { ChevronRight } from "lucide-react";
import { useState } from "react";
import { useFormContext, useFormState } from "react-hook-form";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { CATCH_UP_POLICIES, LIMITS, OVERLAP_POLICIES } from "@/lib/db/constants";
import type { ScheduleFormValues } from "./schema";

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

/** Fields of this part: an error in one of them opens "Advanced" so the message is seen. */
export const ADVANCED_FIELDS = ["overlapPolicy", "catchUpPolicy", "catchUpWindowSec", "maxAttempts", "maxFirings", "expiresAt"] as const;

function NumberField({ name, label, description, min, max, placeholder }: { name: "catchUpWindowSec" | "maxAttempts" | "maxFirings"; label: string; description?: string; min: number; max?: number; placeholder?: string }) {
  const form = useFormContext<ScheduleFormValues>();
  return (
    <FormField
      control={form.control}
      name={name}
      render={({ field }) => (
        <FormItem>
          <FormLabel>{label}</FormLabel>
          <FormControl>
            <Input {...field} type="number" min={min} max={max} placeholder={placeholder} />
          </FormControl>
          {description && <FormDescription>{description}</FormDescription>}
          <FormMessage />
        </FormItem>
      )}
    />
  );
}

/**
 * Part 3 of the sheet, "policies" under a collapsed "Advanced": overlap and catch-up
 * policies, attempts, max firings, expiry. It opens by itself when one of its fields
 * has an error.
 */
export function AdvancedSection() {
  const form = useFormContext<ScheduleFormValues>();
  const { errors } = useFormState<ScheduleFormValues>({ name: [...ADVANCED_FIELDS] });
  const [open, setOpen] = useState(false);
  const hasError = ADVANCED_FIELDS.some((f) => errors[f]);

  return (
    <Collapsible open={open || hasError} onOpenChange={setOpen} className="flex flex-col gap-4" data-testid="sheet-advanced">
      <CollapsibleTrigger className="hover:bg-muted -mx-2 flex items-center gap-1 rounded-md px-2 py-1 text-left text-sm font-semibold" type="button">
        <ChevronRight className="size-4 transition-transform [[data-state=open]>&]:rotate-90" aria-hidden />
        Advanced
        <span className="text-muted-foreground ml-1 text-xs font-normal">overlap, catch-up, attempts, limits</span>
      </CollapsibleTrigger>
      <CollapsibleContent className="flex flex-col gap-4">
        <FormField
          control={form.control}
          name="overlapPolicy"
          render={({ field }) => (
            <FormItem>
              <FormLabel>Overlap policy</FormLabel>
              <Select value={field.value} onValueChange={field.onChange}>
                <FormControl>
                  <SelectTrigger ref={field.ref} data-testid="overlap-select" className="w-full">
                    <SelectValue />
                  </SelectTrigger>
                </FormControl>
                <SelectContent>
                  {OVERLAP_POLICIES.map((p) => (
                    <SelectItem key={p} value={p}>
                      {OVERLAP_LABELS[p]}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
              <FormDescription>When the previous run of this schedule is still queued or running.</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
        <FormField
          control={form.control}
          name="catchUpPolicy"
          render={({ field }) => (
            <FormItem>
              <FormLabel>Catch-up policy</FormLabel>
              <Select value={field.value} onValueChange={field.onChange}>
                <FormControl>
                  <SelectTrigger ref={field.ref} data-testid="catchup-select" className="w-full">
                    <SelectValue />
                  </SelectTrigger>
                </FormControl>
                <SelectContent>
                  {CATCH_UP_POLICIES.map((p) => (
                    <SelectItem key={p} value={p}>
                      {CATCH_UP_LABELS[p]}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
              <FormDescription>Occurrences missed while the server was down.</FormDescription>
              <FormMessage />
            </FormItem>
          )}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <NumberField name="catchUpWindowSec" label="Catch-up window (seconds)" min={0} max={LIMITS.catchUpWindowSecMax} />
          <NumberField name="maxAttempts" label="Attempts" description="First run + retries of infrastructure failures." min={1} max={LIMITS.maxAttemptsMax} />
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          <NumberField name="maxFirings" label="Max firings" description="Empty = no limit." min={1} placeholder="no limit" />
          <FormField
            control={form.control}
            name="expiresAt"
            render={({ field }) => (
              <FormItem>
                <FormLabel>Expires at</FormLabel>
                <FormControl>
                  <Input {...field} type="datetime-local" />
                </FormControl>
                <FormDescription>Your browser&rsquo;s local time. Empty = never.</FormDescription>
                <FormMessage />
              </FormItem>
            )}
          />
        </div>
      </CollapsibleContent>
    </Collapsible>
  );
}
