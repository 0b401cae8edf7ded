"use client";

import { useQuery } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { RunnerDto } from "@/lib/ui/types";

/** How often the runners list refreshes (heartbeats are every 5 s). */
const RUNNERS_REFRESH_MS = 5_000;

function stateOf(r: RunnerDto): { label: string; variant: "default" | "secondary" | "destructive" | "outline" } {
  if (r.alive) return { label: "running", variant: "default" };
  if (r.stoppedAt) return { label: "stopped", variant: "secondary" };
  return { label: "silent", variant: "destructive" };
}

/**
 * The runners sharing this database (GET /api/runners): each web instance and worker with its
 * host, capacity, tasks running now, labels and last heartbeat. A runner without a heartbeat for
 * 30 s and no clean stop is "silent": its tasks are recovered by another runner.
 */
export function RunnersPanel() {
  const runners = useQuery({ queryKey: queryKeys.runners, queryFn: fetchers.runners, refetchInterval: RUNNERS_REFRESH_MS });
  if (runners.isPending) return <p className="text-muted-foreground text-sm">Loading runners…</p>;
  if (runners.isError) return <p className="text-destructive text-sm">Could not load runners: {runners.error.message}</p>;
  // Ages are read against the time the list was fetched (it refreshes every few seconds).
  const now = runners.dataUpdatedAt;
  const live = runners.data.runners.filter((r) => r.alive);
  const shown = [...live, ...runners.data.runners.filter((r) => !r.alive).slice(0, 5)];
  return (
    <div className="flex flex-col gap-2">
      <p className="text-muted-foreground text-sm">
        {live.length} runner{live.length === 1 ? "" : "s"} running; {live.reduce((n, r) => n + r.running, 0)} task
        {live.reduce((n, r) => n + r.running, 0) === 1 ? "" : "s"} running on them.
      </p>
      <ul className="divide-y rounded-md border" aria-label="Runners">
        {shown.map((r) => {
          const state = stateOf(r);
          return (
            <li key={r.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2 text-sm">
              <span className="flex min-w-0 items-center gap-2 font-medium">
                <Badge variant={state.variant}>{state.label}</Badge>
                <span className="truncate" title={r.id}>
                  {r.kind === "worker" ? "Worker" : "Web"} on {r.hostname}
                </span>
                <span className="text-muted-foreground font-normal">pid {r.pid}</span>
              </span>
              <span>
                {r.running} / {r.capacity} running
              </span>
              {r.labels.length > 0 && (
                <span className="flex flex-wrap gap-1" aria-label="Labels">
                  {r.labels.map((l) => (
                    <Badge key={l} variant="outline">
                      {l}
                    </Badge>
                  ))}
                </span>
              )}
              <span className="text-muted-foreground ml-auto" title={formatDateTime(r.stoppedAt ?? r.heartbeatAt)}>
                {r.stoppedAt ? `stopped ${relativeTime(r.stoppedAt, now, { past: true })}` : `heartbeat ${relativeTime(r.heartbeatAt, now, { past: true })}`}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
