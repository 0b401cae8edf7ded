"use client";

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
import { DEFAULT_MAX_TURNS } from "@/lib/db/constants";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { ScheduleDto } from "@/lib/ui/types";
import { useNow } from "@/lib/ui/use-now";
import { ScheduleFormSheet } from "./schedule-form-sheet";

export const SCHEDULE_STATUS_VARIANT = { active: "success", paused: "warning", completed: "secondary", expired: "secondary" } as const;

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
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Name</TableHead>
            <TableHead>Schedule</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Next fire</TableHead>
            <TableHead>Agent steps</TableHead>
            <TableHead className="text-right">Actions</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {data.schedules.map((s) => (
            <TableRow key={s.id} data-testid="schedule-row" data-schedule-id={s.id}>
              <TableCell className="min-w-40 font-medium">
                <Link href={`/schedules/${s.id}`} className="hover:underline">
                  {s.name}
                </Link>
              </TableCell>
              <TableCell className="min-w-56">
                <div>{s.description}</div>
                <div className="text-muted-foreground font-mono text-xs">
                  {s.cronExpression} · {s.timezone}
                </div>
              </TableCell>
              <TableCell>
                <Badge variant={SCHEDULE_STATUS_VARIANT[s.status]}>{s.status}</Badge>
                {s.pausedReason && <div className="text-muted-foreground mt-1 text-xs">{s.pausedReason}</div>}
              </TableCell>
              <TableCell title={formatDateTime(s.nextFireAt, s.timezone)} data-testid="next-fire">
                {relativeTime(s.nextFireAt, now)}
              </TableCell>
              <TableCell className="text-xs whitespace-nowrap">
                <div>max {s.maxTurns ?? `${DEFAULT_MAX_TURNS} (inherited)`}</div>
                <div className="text-muted-foreground">{s.avgTurnsPerFiring != null ? `avg ~${Math.round(s.avgTurnsPerFiring)} per run` : "no runs yet"}</div>
              </TableCell>
              <TableCell>
                <div className="flex justify-end gap-2">
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
          ))}
        </TableBody>
      </Table>
    );
  }

  return (
    <div className="flex flex-col gap-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-semibold">Schedules</h1>
        {newButton}
      </div>
      {body}
      <ScheduleFormSheet open={sheet.open} onOpenChange={(open) => setSheet((s) => ({ ...s, open }))} schedule={sheet.schedule} />
    </div>
  );
}
