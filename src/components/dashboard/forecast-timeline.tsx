"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Area, AreaChart, CartesianGrid, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { ForecastDto, ForecastOverload } from "@/lib/forecast/types";
import { apiFetch } from "@/lib/ui/api-client";
import { formatClock, formatDuration, zoneAbbreviation } from "@/lib/ui/format";
import { queryKeys } from "@/lib/ui/queries";

const HOURS = 24;
/** Chart points: the peak of each 5-minute bucket, so a one-minute spike still shows. */
const BUCKET_MINUTES = 5;
const forecastKey = ["forecast", HOURS] as const;

function buckets(f: ForecastDto): { t: number; running: number }[] {
  const out: { t: number; running: number }[] = [];
  for (let i = 0; i < f.minutes.length; i += BUCKET_MINUTES) {
    let peak = 0;
    for (let j = i; j < Math.min(i + BUCKET_MINUTES, f.minutes.length); j++) peak = Math.max(peak, f.minutes[j].expectedRunning);
    out.push({ t: Date.parse(f.minutes[i].at), running: peak });
  }
  return out;
}

/** Axis ticks on whole hours, every 3 hours. */
function hourTicks(data: { t: number }[]): number[] {
  if (!data.length) return [];
  const hour = 3_600_000;
  const out: number[] = [];
  for (let t = Math.ceil(data[0].t / hour) * hour; t <= data[data.length - 1].t; t += hour) {
    if (new Date(t).getHours() % 3 === 0) out.push(t);
  }
  return out;
}

/** One predicted overload: when, how much, the queueing delay, who, and the stagger that removes it (applied with one click). */
function OverloadItem({ o, cap, names }: { o: ForecastOverload; cap: number; names: Map<string, string> }) {
  const queryClient = useQueryClient();
  const apply = useMutation({
    mutationFn: async () => {
      for (const m of o.stagger) {
        await apiFetch(`/api/schedules/${m.scheduleId}`, { method: "PATCH", json: { cronExpression: m.cronExpression } });
      }
    },
    onSuccess: () => {
      toast.success("Stagger applied");
      void queryClient.invalidateQueries({ queryKey: forecastKey });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
    },
    onError: (err) => toast.error(`Could not apply the stagger: ${err.message}`),
  });
  const who = o.scheduleIds.slice(0, 4).map((id) => names.get(id) ?? id);
  return (
    <li className="flex flex-col gap-1 rounded-md border border-amber-300 bg-amber-50 p-2 text-sm dark:border-amber-800 dark:bg-amber-950/40" data-testid="forecast-overload">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3">
        <span className="font-medium">
          {formatClock(o.from)}–{formatClock(o.to)}: {o.expectedRunning} expected, cap {o.pool === "global" ? cap : `“${o.pool}”`}
        </span>
        <span className="text-muted-foreground text-xs">
          {o.expectedDelaySec > 0 ? `≈ ${formatDuration(o.expectedDelaySec * 1000)} queueing` : "brief queueing"}
        </span>
      </div>
      <div className="text-muted-foreground min-w-0 truncate text-xs">
        {who.join(", ")}
        {o.scheduleIds.length > who.length ? ` and ${o.scheduleIds.length - who.length} more` : ""}
      </div>
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p data-testid="forecast-suggestion" className="min-w-0 break-words">
          {o.suggestion}
        </p>
        {o.stagger.length > 0 && (
          <Button size="sm" variant="outline" disabled={apply.isPending} onClick={() => apply.mutate()}>
            Apply stagger
          </Button>
        )}
      </div>
    </li>
  );
}

/**
 * Dashboard card: the next 24 h of expected running tasks (GET /api/forecast) against
 * the cap, overloaded ranges shaded, each with its queueing delay and suggested stagger.
 */
export function ForecastTimeline() {
  const forecast = useQuery({
    queryKey: forecastKey,
    queryFn: () => apiFetch<ForecastDto>(`/api/forecast?hours=${HOURS}`),
    refetchInterval: 60_000,
  });
  const f = forecast.data;
  const data = f ? buckets(f) : [];
  const names = new Map(f?.schedules.map((s) => [s.id, s.name]));
  const top = f ? Math.max(f.cap + 1, ...data.map((d) => Math.ceil(d.running))) : 1;
  const MAX_LISTED = 5;

  return (
    <Card data-testid="forecast-timeline">
      <CardHeader>
        <CardTitle>Next 24 hours</CardTitle>
        <CardDescription>
          Expected running tasks from every active schedule and its recent run times, against the cap ({zoneAbbreviation()}). Shaded: predicted overloads.
        </CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        {forecast.isPending ? (
          <Skeleton className="h-40 w-full" />
        ) : forecast.error ? (
          <p className="text-destructive text-sm">Could not load the forecast: {forecast.error.message}</p>
        ) : (
          <>
            <div className="h-40" role="img" aria-label={`Expected running tasks over the next ${HOURS} hours against a cap of ${f!.cap}; ${f!.overloads.length} predicted overloads`}>
              <ResponsiveContainer width="100%" height="100%">
                <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis
                    dataKey="t"
                    type="number"
                    scale="time"
                    domain={["dataMin", "dataMax"]}
                    tick={{ fontSize: 11 }}
                    ticks={hourTicks(data)}
                    tickFormatter={(t: number) => formatClock(new Date(t).toISOString())}
                    minTickGap={16}
                  />
                  <YAxis tick={{ fontSize: 11 }} width={32} allowDecimals={false} domain={[0, top]} />
                  <Tooltip
                    labelFormatter={(t) => formatClock(new Date(Number(t)).toISOString())}
                    formatter={(v) => [Number(v).toFixed(2), "expected running (5-min peak)"]}
                  />
                  {f!.overloads.map((o) => {
                    // At least 20 minutes wide, so a 5-minute overload is still visible on a 24 h axis.
                    const mid = (Date.parse(o.from) + Date.parse(o.to)) / 2;
                    return (
                      <ReferenceArea
                        key={`${o.pool}-${o.from}`}
                        x1={Math.min(Date.parse(o.from), mid - 10 * 60_000)}
                        x2={Math.max(Date.parse(o.to), mid + 10 * 60_000)}
                        fill="#f59e0b"
                        fillOpacity={0.35}
                        ifOverflow="extendDomain"
                      />
                    );
                  })}
                  <ReferenceLine y={f!.cap} stroke="#dc2626" strokeDasharray="4 3" label={{ value: `cap ${f!.cap}`, position: "insideTopRight", fontSize: 11, fill: "#dc2626" }} />
                  <Area type="stepAfter" dataKey="running" stroke="#2563eb" fill="#2563eb" fillOpacity={0.15} isAnimationActive={false} />
                </AreaChart>
              </ResponsiveContainer>
            </div>
            {!f!.overloads.length ? (
              <p className="text-muted-foreground text-sm" data-testid="forecast-clear">
                No overload predicted: the cap of {f!.cap} holds for the next {HOURS} hours.
              </p>
            ) : (
              <>
                <ul className="flex flex-col gap-2" aria-label="Predicted overloads">
                  {f!.overloads.slice(0, MAX_LISTED).map((o) => (
                    <OverloadItem key={`${o.pool}-${o.from}`} o={o} cap={f!.cap} names={names} />
                  ))}
                </ul>
                {f!.overloads.length > MAX_LISTED && (
                  <p className="text-muted-foreground text-xs">
                    {f!.overloads.length - MAX_LISTED} more overloads later; the first ones are listed. See <Link className="underline" href="/schedules">schedules</Link>.
                  </p>
                )}
              </>
            )}
          </>
        )}
      </CardContent>
    </Card>
  );
}
