"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Pause, Play } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import type { ScheduleDto } from "@/lib/ui/types";

export const schedulesQueryKey = ["schedules"] as const;

const STATUS_VARIANT = { active: "success", paused: "warning", completed: "secondary", expired: "secondary" } as const;

/** The schedules table: name, human cron + timezone, status, next fire, pause/resume. */
export function ScheduleList() {
  const queryClient = useQueryClient();
  const { data, isPending, error } = useQuery({
    queryKey: schedulesQueryKey,
    queryFn: () => apiFetch<{ schedules: ScheduleDto[] }>("/api/schedules"),
    refetchInterval: 5_000,
  });
  const toggle = useMutation({
    mutationFn: (s: ScheduleDto) =>
      apiFetch(`/api/schedules/${s.id}`, { method: "PATCH", json: { status: s.status === "active" ? "paused" : "active" } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: schedulesQueryKey }),
  });

  if (isPending) return <p className="text-muted-foreground text-sm">Loading schedules…</p>;
  if (error) return <p role="alert" className="text-destructive text-sm">Could not load schedules: {error.message}</p>;
  if (!data.schedules.length) {
    return <p className="text-muted-foreground rounded-lg border border-dashed p-8 text-center text-sm">No schedules yet.</p>;
  }
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Name</TableHead>
          <TableHead>Schedule</TableHead>
          <TableHead>Status</TableHead>
          <TableHead>Next fire</TableHead>
          <TableHead className="text-right">Actions</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {data.schedules.map((s) => (
          <TableRow key={s.id} data-testid="schedule-row" data-schedule-id={s.id}>
            <TableCell className="font-medium">{s.name}</TableCell>
            <TableCell>
              <div>{s.description}</div>
              <div className="text-muted-foreground font-mono text-xs">
                {s.cronExpression} · {s.timezone}
              </div>
            </TableCell>
            <TableCell>
              <Badge variant={STATUS_VARIANT[s.status]}>{s.status}</Badge>
              {s.pausedReason && <div className="text-muted-foreground mt-1 text-xs">{s.pausedReason}</div>}
            </TableCell>
            <TableCell title={formatDateTime(s.nextFireAt, s.timezone)} data-testid="next-fire">
              {relativeTime(s.nextFireAt)}
            </TableCell>
            <TableCell className="text-right">
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
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
