"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ForecastTimeline } from "@/components/dashboard/forecast-timeline";
import { StorageCard } from "./storage-card";
import { OnboardingChecklist } from "@/components/onboarding/onboarding-checklist";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { apiFetch } from "@/lib/ui/api-client";
import { formatClock, formatDateTime, formatDuration, relativeTime, taskDurationMs, zoneAbbreviation } from "@/lib/ui/format";
import { fetchers, queryKeys, type Page } from "@/lib/ui/queries";
import type { TaskDto } from "@/lib/ui/types";
import { useNow } from "@/lib/ui/use-now";
import { failureReasonWords, taskStatusWords } from "@/lib/ui/words";

function Metric({ label, value, hint, testId, loading }: { label: string; value: React.ReactNode; hint?: React.ReactNode; testId: string; loading: boolean }) {
  return (
    <Card className="gap-2">
      <CardHeader>
        <CardDescription>{label}</CardDescription>
      </CardHeader>
      <CardContent>
        {loading ? (
          <Skeleton className="h-8 w-20" />
        ) : (
          <div className="text-3xl font-semibold tabular-nums" data-testid={testId}>
            {value}
          </div>
        )}
        {hint && <div className="text-muted-foreground mt-1 text-xs">{hint}</div>}
      </CardContent>
    </Card>
  );
}

const STATUS_COLOR: Record<string, string> = {
  completed: "#059669",
  failed: "#dc2626",
  cancelled: "#a3a3a3",
  running: "#2563eb",
};
/** Legend order; bars of any other status use OTHER_COLOR. */
const LEGEND = ["completed", "failed", "running", "cancelled"] as const;
const OTHER_COLOR = "#737373";

/** Dashboard home: capacity, queue, chat streams, next fires, recent failures and recent run durations; polled live. */
export function Overview() {
  const router = useRouter();
  // Relative times tick even when a refetch brings nothing new (no re-render).
  const now = useNow(15_000);
  const status = useQuery({ queryKey: queryKeys.schedulerStatus, queryFn: fetchers.schedulerStatus, refetchInterval: 2_000 });
  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules, refetchInterval: 5_000 });
  const failures = useQuery({
    queryKey: queryKeys.tasks({ status: "failed", limit: "5" }),
    queryFn: () => apiFetch<Page<TaskDto>>("/api/tasks?status=failed&limit=5"),
    refetchInterval: 5_000,
  });
  const recent = useQuery({
    queryKey: queryKeys.tasks({ limit: "30" }),
    queryFn: () => apiFetch<Page<TaskDto>>("/api/tasks?limit=30"),
    refetchInterval: 5_000,
  });

  const names = new Map(schedules.data?.schedules.map((s) => [s.id, s.name]));
  const nextFires = (schedules.data?.schedules ?? [])
    .filter((s) => s.nextFireAt)
    .sort((a, b) => Date.parse(a.nextFireAt!) - Date.parse(b.nextFireAt!))
    .slice(0, 5);
  const chartData = (recent.data?.tasks ?? [])
    .filter((t) => t.startedAt)
    .reverse()
    .map((t) => ({
      id: t.id,
      label: formatClock(t.startedAt!),
      seconds: Math.round((taskDurationMs(t) ?? 0) / 100) / 10,
      status: t.status,
      title: t.title,
    }));
  const s = status.data;
  const statusError = status.error ? `Status unavailable: ${status.error.message}` : undefined;

  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      <OnboardingChecklist />
      {statusError && (
        <p role="alert" className="text-destructive text-sm">
          {statusError}
        </p>
      )}
      <div className="grid grid-cols-2 gap-4 lg:grid-cols-5">
        <Metric
          label="Capacity (running / cap)"
          testId="capacity"
          loading={status.isPending}
          value={s ? `${s.running} / ${s.maxConcurrent}` : "—"}
          hint={s && s.running >= s.maxConcurrent ? <span className="text-amber-700">All slots taken</span> : "Scheduled runs holding a slot"}
        />
        <Metric label="Queue depth" testId="queue-depth" loading={status.isPending} value={s?.queued ?? "—"} hint="Tasks waiting for a slot" />
        <Metric
          label="Chat streams active"
          testId="chat-streams"
          loading={status.isPending}
          value={s?.chatStreamsActive ?? "—"}
          hint={s?.chatStreamsActive ? "New scheduled starts are held back" : "No chat pressure"}
        />
        <Metric
          label="Next fire"
          testId="next-fire-at"
          loading={status.isPending}
          value={<span className="text-xl">{s?.nextFireAt ? relativeTime(s.nextFireAt, now) : "none"}</span>}
          hint={s ? `Event-loop lag ${Math.round(s.eventLoopLagMs)} ms` : undefined}
        />
        <StorageCard />
      </div>

      <ForecastTimeline />
      <div className="grid grid-cols-1 gap-4 *:min-w-0 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Next fires</CardTitle>
          </CardHeader>
          <CardContent>
            {schedules.isPending ? (
              <Skeleton className="h-24 w-full" />
            ) : schedules.error ? (
              <p className="text-destructive text-sm">Could not load schedules: {schedules.error.message}</p>
            ) : !nextFires.length ? (
              <p className="text-muted-foreground text-sm">
                Nothing scheduled. <Link className="underline" href="/schedules">Create a schedule</Link>.
              </p>
            ) : (
              <ul className="flex flex-col gap-2 text-sm" data-testid="dashboard-next-fires">
                {nextFires.map((x) => (
                  <li key={x.id} className="flex justify-between gap-2">
                    <Link href={`/schedules/${x.id}`} className="min-w-0 truncate hover:underline">
                      {x.name}
                    </Link>
                    <span className="text-muted-foreground shrink-0" title={formatDateTime(x.nextFireAt, x.timezone)}>
                      {relativeTime(x.nextFireAt, now)}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Recent failures</CardTitle>
          </CardHeader>
          <CardContent>
            {failures.isPending ? (
              <Skeleton className="h-24 w-full" />
            ) : failures.error ? (
              <p className="text-destructive text-sm">Could not load failures: {failures.error.message}</p>
            ) : !failures.data.tasks.length ? (
              <p className="text-muted-foreground text-sm">No failed runs.</p>
            ) : (
              <ul className="flex flex-col gap-2 text-sm" data-testid="recent-failures">
                {failures.data.tasks.map((t) => (
                  <li key={t.id} className="flex items-center justify-between gap-2">
                    <Link href={`/tasks/${t.id}`} className="min-w-0 truncate hover:underline">
                      {t.scheduleId ? (names.get(t.scheduleId) ?? t.title) : t.title}
                    </Link>
                    <span className="flex shrink-0 items-center gap-2">
                      <span className="text-muted-foreground text-xs" title={failureReasonWords(t.failureReason)?.detail}>
                        {failureReasonWords(t.failureReason)?.label}
                      </span>
                      <span className="text-muted-foreground text-xs" title={formatDateTime(t.finishedAt ?? t.createdAt)}>
                        {relativeTime(t.finishedAt ?? t.createdAt, now, { past: true })}
                      </span>
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader>
          <CardTitle>Recent run durations</CardTitle>
          <CardDescription>
            The last 30 runs that started, oldest left, by start time ({zoneAbbreviation(undefined, now)}). Click a bar to open its run.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {recent.isPending ? (
            <Skeleton className="h-56 w-full" />
          ) : recent.error ? (
            <p className="text-destructive text-sm">Could not load runs: {recent.error.message}</p>
          ) : !chartData.length ? (
            <p className="text-muted-foreground text-sm">No runs yet.</p>
          ) : (
            <>
            <ul className="mb-2 flex flex-wrap gap-x-4 gap-y-1 text-xs" data-testid="chart-legend" aria-label="Bar colours">
              {LEGEND.map((st) => (
                <li key={st} className="flex items-center gap-1.5">
                  <span aria-hidden className="inline-block size-3 rounded-sm" style={{ background: STATUS_COLOR[st] }} />
                  {taskStatusWords(st).label}
                </li>
              ))}
            </ul>
            <div className="h-56" data-testid="durations-chart">
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={chartData} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" tick={{ fontSize: 11 }} />
                  <YAxis tick={{ fontSize: 11 }} width={52} tickFormatter={(v: number) => `${v >= 10 ? Math.round(v) : Number(v.toFixed(1))} s`} />
                  <Tooltip
                    formatter={(v) => [formatDuration(Number(v) * 1000), "duration"]}
                    labelFormatter={(_l, p) => (p?.[0]?.payload as { title?: string } | undefined)?.title ?? ""}
                  />
                  <Bar
                    dataKey="seconds"
                    isAnimationActive={false}
                    maxBarSize={40}
                    cursor="pointer"
                    onClick={(entry) => {
                      const taskId = (entry as { payload?: { id?: string } }).payload?.id;
                      if (taskId) router.push(`/tasks/${taskId}`);
                    }}
                  >
                    {chartData.map((d) => (
                      <Cell key={d.id} fill={STATUS_COLOR[d.status] ?? OTHER_COLOR} data-task-id={d.id} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
            {/* The bars as links too, for keyboards and screen readers. */}
            <details className="mt-2 text-xs">
              <summary className="text-muted-foreground cursor-pointer">Runs in this chart</summary>
              <ul className="mt-1 flex flex-col gap-1" data-testid="chart-runs">
                {chartData.map((d) => (
                  <li key={d.id}>
                    <Link href={`/tasks/${d.id}`} className="hover:underline">
                      {d.label} · {d.title} · {formatDuration(d.seconds * 1000)} · {taskStatusWords(d.status).label}
                    </Link>
                  </li>
                ))}
              </ul>
            </details>
            </>
          )}
          {recent.data && recent.data.tasks.some((t) => t.status === "running") && (
            <div className="mt-3 flex flex-wrap gap-2 text-xs">
              Running now:
              {recent.data.tasks
                .filter((t) => t.status === "running")
                .map((t) => (
                  <Link key={t.id} href={`/tasks/${t.id}`} className="inline-flex items-center gap-1 hover:underline">
                    <TaskStatusBadge task={t} /> {t.title}
                  </Link>
                ))}
            </div>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
