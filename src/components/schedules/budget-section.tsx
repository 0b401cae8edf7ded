"use client";

import { ChevronRight } from "lucide-react";
import { useState } from "react";
import { useFormContext, useFormState } from "react-hook-form";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { FormControl, FormDescription, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form";
import { Input } from "@/components/ui/input";
import type { ScheduleDto } from "@/lib/ui/types";
import { SPEND_FORM_FIELDS, type SpendFormValues } from "./budget-form";
import { formatUsd } from "./usage-summary";

const FIELDS: { name: keyof SpendFormValues; label: string; description: string }[] = [
  {
    name: "maxCostUsdPerRun",
    label: "Max cost per run (USD)",
    description: "A run is stopped when it reaches this (Claude: maxBudgetUsd; other runtimes: tokens × the model's price).",
  },
  { name: "maxCostUsd24h", label: "Max cost per 24 hours (USD)", description: "Firings are skipped while the last 24 h of runs cost this much." },
  { name: "maxCostUsd7d", label: "Max cost per 7 days (USD)", description: "Firings are skipped while the last 7 days of runs cost this much." },
];

/**
 * The sheet's "Cost caps" part (issue 11): per-run, rolling 24 h and 7 d caps in US dollars,
 * empty = no cap. Collapsed unless a cap is set or one of its fields has an error; shows
 * what the schedule spent so far when editing.
 */
export function BudgetSection({ saved }: { saved?: ScheduleDto | null }) {
  const form = useFormContext<SpendFormValues>();
  const { errors } = useFormState<SpendFormValues>({ name: [...SPEND_FORM_FIELDS] });
  const hasCap = saved != null && (saved.maxCostUsdPerRun != null || saved.maxCostUsd24h != null || saved.maxCostUsd7d != null);
  const [open, setOpen] = useState(hasCap);
  const hasError = SPEND_FORM_FIELDS.some((f) => errors[f]);
  const usage = saved?.usage;

  return (
    <Collapsible open={open || hasError} onOpenChange={setOpen} className="flex flex-col gap-4" data-testid="sheet-budget">
      <CollapsibleTrigger className="hover:bg-muted -mx-2 flex items-center gap-1 rounded-md px-2 py-1 text-left text-sm font-semibold" type="button">
        <ChevronRight className="size-4 transition-transform [[data-state=open]>&]:rotate-90" aria-hidden />
        Cost caps
        <span className="text-muted-foreground ml-1 text-xs font-normal">{hasCap ? "set" : "none"} — per run, 24 h, 7 days</span>
      </CollapsibleTrigger>
      <CollapsibleContent className="flex flex-col gap-4">
        {usage && (
          <p className="text-muted-foreground text-xs" data-testid="sheet-budget-spent">
            Spent so far: {formatUsd(usage.costUsd24h, usage.unpricedRuns30d)} in 24 h · {formatUsd(usage.costUsd7d, usage.unpricedRuns30d)} in 7 days
          </p>
        )}
        <div className="grid gap-4 sm:grid-cols-3">
          {FIELDS.map((f) => (
            <FormField
              key={f.name}
              control={form.control}
              name={f.name}
              render={({ field }) => (
                <FormItem>
                  {/* Same label height in the three columns, so the inputs line up when one label wraps. */}
                  <FormLabel className="sm:min-h-10 sm:items-start">{f.label}</FormLabel>
                  <FormControl>
                    <Input {...field} type="number" inputMode="decimal" min={0} step="0.01" placeholder="No cap" data-testid={`budget-${f.name}`} />
                  </FormControl>
                  <FormDescription>{f.description}</FormDescription>
                  <FormMessage />
                </FormItem>
              )}
            />
          ))}
        </div>
        <p className="text-muted-foreground text-xs">A daily cap over every schedule is in Settings → Spend.</p>
      </CollapsibleContent>
    </Collapsible>
  );
}
