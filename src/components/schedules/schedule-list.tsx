"use client";

import { afterUpstreamWords } from "@/lib/ui/chained";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { toast } from "sonner";
import { Pause, Pencil, Play, Plus } from "lucide-react";
import { RunNowButton } from "@/components/runs/run-now-button";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { UsageInline } from "./usage-summary";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { LastRunDto, ScheduleDto } from "@/lib/ui/types";
import { useNow } from "@/lib/ui/use-now";
import { pausedReasonWords, scheduleStatusWords } from "@/lib/ui/words";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { ScheduleFormSheet } from "./schedule-form-sheet";

export const SCHEDULE_STATUS_VARIANT = { active: "success", paused: "warning", completed: "secondary", expired: "secondary" } as const;

/** A schedule's latest run (any source, Run now included): status badge linking to the task, and when it ended. */
function LastRun({ run, now }: { run: LastRunDto | null; now: number }) {
  if (!run) return <span className="text-muted-foreground text-xs">never ran</span>;
  return (
    <Link href={`/tasks/${run.taskId}`} className="inline-flex flex-col gap-0.5 hover:underline">
      <TaskStatusBadge task={{ status: run.status, forced: false }} />
      <span className="text-muted-foreground text-xs" title={formatDateTime(run.finishedAt ?? run.startedAt)}>
        {run.finishedAt ? relativeTime(run.finishedAt, now, { past: true }) : run.startedAt ? `started ${relativeTime(run.startedAt, now, { past: true })}` : "waiting"}
        {run.sourceType === "manual" ? " · manual" : ""}
      </span>
    </Link>
  );
}

/** The schedules page: "New schedule", and a table with human cron, status, next fire, Run now, Edit, pause/resume. */
export function ScheduleList() {
  const queryClient = useQueryClient();
  const [sheet, setSheet] = useState<{ open: boolean; schedule: ScheduleDto | null }>({ open: false, schedule: null });
  // Relative times tick even when a refetch brings nothing new (no re-render).
  const now = useNow(15_000);
  const { data, isPending, error, refetch } = useQuery({
    queryKey: queryKeys.schedules,
    queryFn: fetchers.schedules,
    refetchInterval: 5_000,
  });
  const toggle = useMutation({
    mutationFn: (s: ScheduleDto) =>
      apiFetch(`/api/schedules/${s.id}`, { method: "PATCH", json: { status: s.status === "active" ? "paused" : "active" } }),
    onError: (err) => toast.error(`Could not change the schedule: ${err.message}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.schedules }),
  });

  const newButton = (
    <Button onClick={() => setSheet({ open: true, schedule: null })}>
      <Plus />
      New schedule
    </Button>
  );

  let body;
  if (isPending) {
    body = (
      <div className="flex flex-col gap-2" aria-label="Loading schedules">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} className="h-12 w-full" />
        ))}
      </div>
    );
  } else if (error) {
    body = (
      <div role="alert" className="text-destructive flex items-center gap-3 text-sm">
        Could not load schedules: {error.message}
        <Button size="sm" variant="outline" onClick={() => refetch()}>
          Retry
        </Button>
      </div>
    );
  } else if (!data.schedules.length) {
    body = (
      <div className="text-muted-foreground flex flex-col items-center gap-3 rounded-lg border border-dashed p-8 text-center text-sm">
        No schedules yet. Create one to fire an agent on a cron schedule.
        {newButton}
      </div>
    );
  } else {
    body = (
      <Table stack>
        <TableHeader>
          <TableRow>
            <TableHead>Name</TableHead>
            <TableHead>Schedule</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Next fire</TableHead>
            <TableHead>Last run</TableHead>
            <TableHead>Max turns</TableHead>
            <TableHead>Spend</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {data.schedules.map((s) => {
            const paused = pausedReasonWords(s.pausedReason);
            return (
              <TableRow key={s.id} data-testid="schedule-row" data-schedule-id={s.id}>
                <TableCell className="min-w-40 font-medium" data-stack="full">
                  <Link href={`/schedules/${s.id}`} className="hover:underline">
                    {s.name}
                  </Link>
                </TableCell>
                <TableCell className="min-w-56" data-stack="full">
                  <div>{s.description}</div>
                  <div className="text-muted-foreground font-mono text-xs break-all">
                    {s.cronExpression ?? "no cron"} · {s.timezone}
                  </div>
                </TableCell>
                <TableCell data-label="Status">
                  <Badge variant={SCHEDULE_STATUS_VARIANT[s.status]} title={scheduleStatusWords(s.status).detail}>
                    {s.status}
                  </Badge>
                  {paused && (
                    <div className="text-muted-foreground mt-1 max-w-48 text-xs" title={paused.detail} data-testid="paused-reason">
                      {s.pausedUntil ? `Paused until ${formatDateTime(s.pausedUntil, s.timezone)}` : paused.label}
                    </div>
                  )}
                </TableCell>
                <TableCell title={formatDateTime(s.nextFireAt, s.timezone)} data-testid="next-fire" data-label="Next fire">
                  {afterUpstreamWords(s, data.schedules) ?? relativeTime(s.nextFireAt, now)}
                </TableCell>
                <TableCell data-testid="last-run" data-label="Last run">
                  <LastRun run={s.lastRun} now={now} />
                </TableCell>
                <TableCell className="text-xs whitespace-nowrap" data-label="Max turns" data-testid="max-turns">
                  <div>{s.maxTurns ?? `${SCHEDULE_DEFAULTS.maxTurns} (inherited)`}</div>
                  <div className="text-muted-foreground">{s.avgTurnsPerFiring != null ? `~${Math.round(s.avgTurnsPerFiring)} used per run` : ""}</div>
                </TableCell>
                <TableCell data-label="Spend"><UsageInline usage={s.usage} /></TableCell>
                <TableCell data-stack="full">
                  <div className="flex flex-wrap gap-2 md:justify-end">
                    <RunNowButton schedule={s} />
                    <Button variant="outline" size="sm" onClick={() => setSheet({ open: true, schedule: s })}>
                      <Pencil />
                      Edit
                    </Button>
                    {(s.status === "active" || s.status === "paused") && (
                      <Button
                        variant="outline"
                        size="sm"
                        disabled={toggle.isPending && toggle.variables?.id === s.id}
                        onClick={() => toggle.mutate(s)}
                      >
                        {s.status === "active" ? <Pause /> : <Play />}
                        {s.status === "active" ? "Pause" : "Resume"}
                      </Button>
                    )}
                  </div>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    );
  }

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Schedules</h1>
        {newButton}
      </div>
      {body}
      <ScheduleFormSheet open={sheet.open} onOpenChange={(open) => setSheet((s) => ({ ...s, open }))} schedule={sheet.schedule} />
    </div>
  );
}
