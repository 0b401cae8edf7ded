"use client";

import { afterUpstreamWords } from "@/lib/ui/chained";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { toast } from "sonner";
import { Pause, Pencil, Play, Trash2 } from "lucide-react";
import { RunNowButton } from "@/components/runs/run-now-button";
import { RunWithPromptButton } from "@/components/runs/run-with-prompt";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import { SCHEDULE_DEFAULTS } from "@/lib/schedules/defaults";
import { FAILURE_STREAK_PAUSE_AT, TURN_BREACH_STREAK_PAUSE_AT } from "@/lib/scheduler/tuning";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, relativeTime } from "@/lib/ui/format";
import { fetchers, qs, queryKeys } from "@/lib/ui/queries";
import { useNow } from "@/lib/ui/use-now";
import { eventKindWords, failureReasonWords, pausedReasonWords, scheduleStatusWords } from "@/lib/ui/words";
import { ZonedTime } from "@/components/time/zoned-time";
import { PromptText } from "@/components/tasks/prompt-text";
import { RunHistory } from "./run-history";
import { UsagePanel } from "./usage-summary";
import { ScheduleFormSheet } from "./schedule-form-sheet";
import { SCHEDULE_STATUS_VARIANT } from "./schedule-list";


function Item({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="text-sm" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

/** /schedules/[id]: status, streaks, next fires, budgets, run history and the schedule's events. */
export function ScheduleDetail({ id }: { id: string }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // Relative times tick even when a refetch brings nothing new (no re-render).
  const now = useNow(15_000);
  const schedule = useQuery({ queryKey: queryKeys.schedule(id), queryFn: () => fetchers.schedule(id), refetchInterval: 3_000 });
  const s = schedule.data?.schedule;
  const events = useQuery({ queryKey: queryKeys.scheduleEvents(id), queryFn: () => fetchers.scheduleEvents(id), refetchInterval: 5_000 });
  const runtimes = useQuery({ queryKey: queryKeys.runtimes, queryFn: fetchers.runtimes });
  const nextParams = s?.cronExpression ? { cronExpression: s.cronExpression, timezone: s.timezone, count: 5 } : null;
  const nextFires = useQuery({
    queryKey: ["schedule-preview", nextParams],
    queryFn: () => apiFetch<{ next: string[] }>(`/api/schedules/preview${qs(nextParams!)}`),
    enabled: !!s && s.status === "active" && nextParams !== null,
  });
  // A schedule without a cron (ADR 0024) runs only after its upstream: name it.
  const allSchedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules, enabled: !!s && s.cronExpression === null });
  const afterUpstream = s ? afterUpstreamWords(s, allSchedules.data?.schedules) : null;
  const toggle = useMutation({
    mutationFn: () => apiFetch(`/api/schedules/${id}`, { method: "PATCH", json: { status: s?.status === "active" ? "paused" : "active" } }),
    onError: (err) => toast.error(`Could not change the schedule: ${err.message}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.schedules }),
  });
  const remove = useMutation({
    mutationFn: () => apiFetch(`/api/schedules/${id}`, { method: "DELETE" }),
    onSuccess: () => {
      toast.success("Schedule deleted; its runs stay in the task history");
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      router.push("/schedules");
    },
    onError: (err) => toast.error(`Could not delete: ${err.message}`),
  });

  if (schedule.isPending) {
    return (
      <div className="flex flex-col gap-4">
        <Skeleton className="h-8 w-1/3" />
        <Skeleton className="h-40 w-full" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  if (schedule.error || !s) {
    return (
      <div role="alert" className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold">Schedule</h1>
        <p className="text-destructive text-sm">Could not load schedule {id}: {schedule.error?.message}</p>
        <Link className="text-sm underline" href="/schedules">
          Back to schedules
        </Link>
      </div>
    );
  }

  const paused = pausedReasonWords(s.pausedReason);
  const lastFailure = failureReasonWords(s.lastFailureReason);
  const runtimeName = s.runtimeId
    ? (runtimes.data?.runtimes.find((r) => r.id === s.runtimeId)?.name ?? (runtimes.isPending ? "…" : s.runtimeId))
    : "Default runtime";

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex flex-col gap-1">
          <Link href="/schedules" className="text-muted-foreground text-xs hover:underline">
            ← Schedules
          </Link>
          <h1 className="text-2xl font-semibold break-words">{s.name}</h1>
          <div className="flex flex-wrap items-center gap-2 text-sm">
            <Badge variant={SCHEDULE_STATUS_VARIANT[s.status]} data-testid="schedule-status" title={scheduleStatusWords(s.status).detail}>
              {s.status}
            </Badge>
            {paused && (
              <span className="font-medium" data-testid="paused-reason">
                {paused.label}
              </span>
            )}
          </div>
          {paused && (
            <p className="text-muted-foreground max-w-prose text-sm" data-testid="paused-detail">
              {paused.detail}
            </p>
          )}
        </div>
        <div className="flex flex-wrap gap-2">
          <RunNowButton schedule={s} size="default" />
          <RunWithPromptButton schedule={s} />
          <Button variant="outline" onClick={() => setEditing(true)}>
            <Pencil />
            Edit
          </Button>
          {(s.status === "active" || s.status === "paused") && (
            <Button variant="outline" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {s.status === "active" ? <Pause /> : <Play />}
              {s.status === "active" ? "Pause" : "Resume"}
            </Button>
          )}
          <Button variant="outline" onClick={() => setConfirmDelete(true)}>
            <Trash2 />
            Delete
          </Button>
        </div>
      </div>

      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>{s.description}</CardTitle>
            <CardDescription className="font-mono break-all">
              {s.cronExpression ?? "no cron"} · {s.timezone}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-2 gap-4 sm:grid-cols-3">
              <Item label="Runtime">{runtimeName}</Item>
              <Item label="Max turns per run" testId="detail-max-turns">
                {s.maxTurns ?? `inherit (${SCHEDULE_DEFAULTS.maxTurns})`}
              </Item>
              <Item label="Turns used per firing (average)" testId="detail-avg-turns">
                {s.avgTurnsPerFiring != null ? `~${Math.round(s.avgTurnsPerFiring)}` : "—"}
                {s.lastTurnCount != null && <span className="text-muted-foreground"> (last {s.lastTurnCount})</span>}
              </Item>
              <Item label="Failure streak">
                {s.failureStreak} / {FAILURE_STREAK_PAUSE_AT}
              </Item>
              <Item label="Runs in a row that hit max turns">
                {s.turnBudgetBreachStreak} / {TURN_BREACH_STREAK_PAUSE_AT}
              </Item>
              <Item label="Last failure" testId="detail-last-failure">
                {lastFailure ? <span title={lastFailure.detail}>{lastFailure.label}</span> : "—"}
              </Item>
              <Item label="Firings">
                {s.firingCount}
                {s.maxFirings != null ? ` of ${s.maxFirings}` : ""}
              </Item>
              <Item label="Last fired">
                {s.lastFiredAt ? <span title={formatDateTime(s.lastFiredAt, s.timezone)}>{relativeTime(s.lastFiredAt, now, { past: true })}</span> : "never"}
              </Item>
              <Item label="Expires">{s.expiresAt ? formatDateTime(s.expiresAt, s.timezone) : "never"}</Item>
              <Item label="Overlap / catch-up">
                {s.overlapPolicy} / {s.catchUpPolicy} ({s.catchUpWindowSec} s)
              </Item>
              <Item label="Attempts">{s.maxAttempts}</Item>
              <Item label="Max run duration">{s.maxRunDurationSec != null ? `${s.maxRunDurationSec} s` : "inherit"}</Item>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Next fires</CardTitle>
            <CardDescription>In {s.timezone}</CardDescription>
          </CardHeader>
          <CardContent>
            {s.status !== "active" ? (
              <p className="text-muted-foreground text-sm">Nothing fires while the schedule is {s.status}.</p>
            ) : afterUpstream ? (
              <p className="text-sm" data-testid="next-fires-after">
                Runs {afterUpstream} succeeds (no cron of its own).
              </p>
            ) : nextFires.isPending ? (
              <div className="flex flex-col gap-2">
                {[0, 1, 2, 3, 4].map((i) => (
                  <Skeleton key={i} className="h-4 w-3/4" />
                ))}
              </div>
            ) : nextFires.error ? (
              <p className="text-destructive text-sm">Could not compute: {nextFires.error.message}</p>
            ) : (
              <ol className="flex flex-col gap-1 text-sm" data-testid="next-fires">
                {nextFires.data.next.map((iso) => (
                  <li key={iso} className="flex justify-between gap-2">
                    <ZonedTime iso={iso} timeZone={s.timezone} />
                    <span className="text-muted-foreground shrink-0">{relativeTime(iso, now)}</span>
                  </li>
                ))}
              </ol>
            )}
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader>
          <CardTitle>Prompt</CardTitle>
          <CardDescription>What each run sends the agent.</CardDescription>
        </CardHeader>
        <CardContent>
          <PromptText text={s.prompt} />
        </CardContent>
      </Card>

      <UsagePanel schedule={s} />

      <Card>
        <CardHeader>
          <CardTitle>Run history</CardTitle>
          <CardDescription>Newest first; retries under their first attempt, skipped and missed occurrences folded.</CardDescription>
        </CardHeader>
        <CardContent>
          <RunHistory scheduleId={s.id} events={events.data?.events ?? []} />
        </CardContent>
      </Card>

      <Card>
        <CardHeader>
          <CardTitle>Events</CardTitle>
          <CardDescription>Auto-pauses, missed occurrences, forced runs and edits.</CardDescription>
        </CardHeader>
        <CardContent>
          {events.isPending ? (
            <Skeleton className="h-24 w-full" />
          ) : events.error ? (
            <p className="text-destructive text-sm" role="alert">
              Could not load events: {events.error.message}
            </p>
          ) : !events.data.events.length ? (
            <p className="text-muted-foreground text-sm">No events yet.</p>
          ) : (
            <ul className="flex flex-col gap-2" data-testid="schedule-events">
              {events.data.events.map((e) => (
                <li key={e.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm" data-kind={e.kind}>
                  <span className="text-muted-foreground shrink-0 text-xs sm:w-52">{formatDateTime(e.createdAt, s.timezone)}</span>
                  <Badge variant={e.kind === "auto_paused" || e.kind === "manual_force_bypass" ? "warning" : "outline"} title={eventKindWords(e.kind).detail}>
                    {eventKindWords(e.kind).label}
                  </Badge>
                  <span className="min-w-0 break-words">
                    {e.message}
                    {e.taskId && (
                      <Link href={`/tasks/${e.taskId}`} className="text-muted-foreground ml-2 text-xs underline">
                        task
                      </Link>
                    )}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>

      <ScheduleFormSheet open={editing} onOpenChange={setEditing} schedule={s} />
      <AlertDialog open={confirmDelete} onOpenChange={setConfirmDelete}>
        <AlertDialogContent>
          <AlertDialogHeader>
            <AlertDialogTitle>Delete “{s.name}”?</AlertDialogTitle>
            <AlertDialogDescription>Nothing fires from it any more. Its runs stay in the task history.</AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel>Cancel</AlertDialogCancel>
            <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete"}
            </Button>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>
    </div>
  );
}
