import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import type { ScheduleDto, ScheduleUsageDto } from "@/lib/api-types";

/**
 * "$1.23", "$0.0042", or "unknown" when nothing was priced; "+ unknown" marks a sum that
 * leaves out runs with an unknown cost (a model without a price) — never shown as $0.
 */
export function formatUsd(cost: number | null, unpricedRuns = 0): string {
  if (cost == null) return "unknown";
  const amount = cost === 0 ? "$0" : cost < 0.01 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
  return unpricedRuns > 0 ? `${amount} + unknown` : amount;
}

/** 12 345 → "12.3k", 1 234 567 → "1.2M". */
export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(1)}k`;
  return String(n);
}

/** One line for the schedule list: cost in the last 24 h and 30 days. */
export function UsageInline({ usage }: { usage: ScheduleUsageDto | undefined }) {
  if (!usage) return null;
  return (
    <span className="text-muted-foreground text-xs tabular-nums" data-testid="schedule-usage" title={`Tokens in 30 days: ${formatTokens(usage.inputTokens30d)} in / ${formatTokens(usage.outputTokens30d)} out`}>
      <span className="whitespace-nowrap">{formatUsd(usage.costUsd24h, usage.unpricedRuns30d)} / 24 h</span> ·{" "}
      <span className="whitespace-nowrap">{formatUsd(usage.costUsd30d, usage.unpricedRuns30d)} / 30 d</span>
    </span>
  );
}

/** The schedule page's "Spend" card: cost and tokens per window, with the caps beside. */
export function UsagePanel({ schedule }: { schedule: ScheduleDto }) {
  const usage = schedule.usage;
  const caps = { perRun: schedule.maxCostUsdPerRun, d1: schedule.maxCostUsd24h, d7: schedule.maxCostUsd7d };
  if (!usage) return null;
  const rows = [
    { label: "24 hours", cost: usage.costUsd24h, input: usage.inputTokens24h, output: usage.outputTokens24h, cap: caps.d1 },
    { label: "7 days", cost: usage.costUsd7d, input: usage.inputTokens7d, output: usage.outputTokens7d, cap: caps.d7 },
    { label: "30 days", cost: usage.costUsd30d, input: usage.inputTokens30d, output: usage.outputTokens30d, cap: null },
    { label: "All time", cost: usage.costUsdAll, input: usage.inputTokensAll, output: usage.outputTokensAll, cap: null },
  ];
  return (
    <Card data-testid="schedule-usage-panel">
      <CardHeader>
        <CardTitle>Spend</CardTitle>
        <CardDescription>Cost and tokens of finished runs; windows are whole UTC hours.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-2">
      <div className="overflow-x-auto rounded-md border">
        <table className="w-full text-sm">
          <thead className="text-muted-foreground text-xs">
            <tr className="border-b">
              <th className="px-3 py-2 text-left font-medium">Window</th>
              <th className="px-3 py-2 text-right font-medium">Cost</th>
              <th className="px-3 py-2 text-right font-medium">Tokens in / out</th>
              <th className="px-3 py-2 text-right font-medium">Cap</th>
            </tr>
          </thead>
          <tbody className="tabular-nums">
            {rows.map((r) => (
              <tr key={r.label} className="border-b last:border-0">
                <td className="px-3 py-2 whitespace-nowrap">{r.label}</td>
                <td className="px-3 py-2 text-right">{formatUsd(r.cost, r.label === "All time" ? usage.unpricedRunsAll : usage.unpricedRuns30d)}</td>
                <td className="px-3 py-2 text-right">
                  {formatTokens(r.input)} / {formatTokens(r.output)}
                </td>
                <td className="text-muted-foreground px-3 py-2 text-right">{r.cap == null ? "—" : `$${r.cap}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-muted-foreground text-xs">
        {caps.perRun != null ? `Each run stops at $${caps.perRun}. ` : ""}
        {usage.unpricedRuns30d > 0 ? `${usage.unpricedRuns30d} run(s) in 30 days have an unknown cost: their model has no price (Settings → Spend). ` : ""}
        A run counts when it finishes.
      </p>
      </CardContent>
    </Card>
  );
}
