"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { DEFAULT_MODEL_PRICES, effectivePriceTable, type ModelPrices } from "@/lib/budgets/prices";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { SettingsView } from "@/lib/ui/types";

interface PriceRow {
  model: string;
  input: string;
  output: string;
}

function rowsOf(stored: ModelPrices): PriceRow[] {
  return Object.entries(effectivePriceTable(stored))
    .map(([model, p]) => ({ model, input: String(p.inputUsdPerMTok), output: String(p.outputUsdPerMTok) }))
    .sort((a, b) => a.model.localeCompare(b.model));
}

/** Stored entries for the edited rows: what differs from the defaults, and null for a removed default. */
function storedOf(rows: PriceRow[]): ModelPrices {
  const out: ModelPrices = {};
  const kept = new Set<string>();
  for (const r of rows) {
    const model = r.model.trim();
    if (!model) continue;
    kept.add(model);
    const price = { inputUsdPerMTok: Number(r.input), outputUsdPerMTok: Number(r.output) };
    const def = DEFAULT_MODEL_PRICES[model];
    if (!def || def.inputUsdPerMTok !== price.inputUsdPerMTok || def.outputUsdPerMTok !== price.outputUsdPerMTok) out[model] = price;
  }
  for (const model of Object.keys(DEFAULT_MODEL_PRICES)) if (!kept.has(model)) out[model] = null;
  return out;
}

function SpendForm({ data }: { data: SettingsView }) {
  const qc = useQueryClient();
  const [dayCap, setDayCap] = useState(data.maxCostUsdPerDay == null ? "" : String(data.maxCostUsdPerDay));
  const [rows, setRows] = useState<PriceRow[]>(() => rowsOf(data.modelPrices));
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () =>
      apiFetch<SettingsView>("/api/settings", {
        method: "PATCH",
        json: { maxCostUsdPerDay: dayCap.trim() === "" ? null : Number(dayCap), modelPrices: storedOf(rows) },
      }),
    onSuccess: (view) => {
      setFieldErrors({});
      qc.setQueryData(queryKeys.settings, view);
      setRows(rowsOf(view.modelPrices));
      toast.success("Spend settings saved");
    },
    onError: (err) => {
      if (err instanceof ApiError && err.fields) setFieldErrors(err.fields);
      toast.error(err.message);
    },
  });
  const update = (i: number, patch: Partial<PriceRow>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <form
      className="flex flex-col gap-5"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      data-testid="spend-settings"
    >
      <div className="flex max-w-sm flex-col gap-1.5">
        <Label htmlFor="max-cost-per-day">Daily cost cap, all schedules (USD)</Label>
        <Input id="max-cost-per-day" type="number" inputMode="decimal" min={0} step="0.01" placeholder="No cap" value={dayCap} onChange={(e) => setDayCap(e.target.value)} aria-invalid={!!fieldErrors.maxCostUsdPerDay} />
        <p className="text-muted-foreground text-xs">When the runs finished today (UTC) cost this much, scheduled firings are skipped until midnight UTC or until the cap is raised.</p>
        {fieldErrors.maxCostUsdPerDay && <p className="text-destructive text-xs">{fieldErrors.maxCostUsdPerDay}</p>}
      </div>

      <div className="flex flex-col gap-2">
        <div className="flex flex-wrap items-baseline justify-between gap-2">
          <h3 className="text-sm font-semibold">Model prices (USD per million tokens)</h3>
          <div className="flex gap-2">
            <Button type="button" variant="outline" size="sm" onClick={() => setRows(rowsOf({}))}>
              Reset to defaults
            </Button>
            <Button type="button" variant="outline" size="sm" onClick={() => setRows((rs) => [{ model: "", input: "0", output: "0" }, ...rs])}>
              <Plus className="size-4" aria-hidden /> Add model
            </Button>
          </div>
        </div>
        <p className="text-muted-foreground text-xs">
          A run&apos;s cost is what the runtime reports (Claude Code does), else its tokens × the price of the runtime&apos;s model. A name matches itself and longer names after a
          dash (&quot;claude-sonnet-4&quot; prices &quot;claude-sonnet-4-5-20250929&quot;). A model with no price has an unknown cost — set 0 for a free local model. Defaults are 2025 list prices.
        </p>
        {fieldErrors.modelPrices && <p className="text-destructive text-xs">{fieldErrors.modelPrices}</p>}
        <div className="max-h-96 overflow-auto rounded-md border">
          <table className="w-full text-sm">
            <thead className="bg-background text-muted-foreground sticky top-0 text-xs">
              <tr className="border-b">
                <th className="px-2 py-2 text-left font-medium">Model</th>
                <th className="px-2 py-2 text-left font-medium">Input</th>
                <th className="px-2 py-2 text-left font-medium">Output</th>
                <th className="px-2 py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => {
                const def = DEFAULT_MODEL_PRICES[r.model.trim()];
                const custom = !def || String(def.inputUsdPerMTok) !== r.input || String(def.outputUsdPerMTok) !== r.output;
                return (
                  <tr key={i} className="border-b last:border-0" data-testid="price-row">
                    <td className="px-2 py-1">
                      <div className="flex items-center gap-2">
                        <Input aria-label="Model name" value={r.model} onChange={(e) => update(i, { model: e.target.value })} className="h-8 min-w-36" />
                        {custom && <Badge variant="secondary">custom</Badge>}
                      </div>
                    </td>
                    <td className="px-2 py-1">
                      <Input aria-label={`Input price of ${r.model}`} type="number" min={0} step="0.01" value={r.input} onChange={(e) => update(i, { input: e.target.value })} className="h-8 w-24" />
                    </td>
                    <td className="px-2 py-1">
                      <Input aria-label={`Output price of ${r.model}`} type="number" min={0} step="0.01" value={r.output} onChange={(e) => update(i, { output: e.target.value })} className="h-8 w-24" />
                    </td>
                    <td className="px-2 py-1 text-right">
                      <Button type="button" variant="ghost" size="icon" aria-label={`Remove ${r.model}`} onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))}>
                        <Trash2 className="size-4" aria-hidden />
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
      <div>
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save spend settings"}
        </Button>
      </div>
    </form>
  );
}

/** Settings → Spend (issue 11): the global daily cost cap and the editable price table. */
export function SpendSettingsCard() {
  const settings = useQuery({ queryKey: queryKeys.settings, queryFn: fetchers.settings });
  return (
    <Card id="spend">
      <CardHeader>
        <CardTitle>Spend</CardTitle>
        <CardDescription>A daily cost cap over every schedule, and the prices that turn tokens into dollars.</CardDescription>
      </CardHeader>
      <CardContent>
        {settings.error ? (
          <p role="alert" className="text-destructive text-sm">
            Could not load settings: {settings.error.message}
          </p>
        ) : settings.isPending ? (
          <Skeleton className="h-40" />
        ) : (
          <SpendForm data={settings.data} />
        )}
      </CardContent>
    </Card>
  );
}
