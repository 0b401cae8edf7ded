"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import { RotateCcw, Square } from "lucide-react";
import { useCapacityRun } from "@/components/runs/use-capacity-run";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Checkbox } from "@/components/ui/checkbox";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { Skeleton } from "@/components/ui/skeleton";
import { apiFetch } from "@/lib/ui/api-client";
import { formatCost, formatDateTime, formatDuration, formatTime, taskDurationMs } from "@/lib/ui/format";
import { fetchers, queryKeys, TERMINAL_STATUSES } from "@/lib/ui/queries";
import type { TaskDetailDto, TaskDto, TaskEventDto } from "@/lib/ui/types";
import { toolCallSummary } from "@/lib/ui/tool-summary";
import { useNow } from "@/lib/ui/use-now";
import { taskOutcomeWords } from "@/lib/ui/words";
import { TaskPrompt, TaskTriggerNote } from "./task-trigger";
import { TaskStatusBadge } from "./task-status-badge";

type StreamState = "connecting" | "live" | "reconnecting" | "ended";

/** Stream events that come with a change to the task row (session id, tokens and cost, outcome). */
const ROW_EVENT_TYPES = new Set(["session", "usage", "result"]);

/**
 * Subscribes to GET /api/tasks/:id/events over SSE (EventSource resumes with
 * Last-Event-ID after a drop) and collects the events, deduplicated by id.
 * `onRowChange` runs after a batch holding a session/usage/result event and when the stream ends.
 */
function useTaskEvents(taskId: string, onRowChange: () => void) {
  const [events, setEvents] = useState<TaskEventDto[]>([]);
  const [state, setState] = useState<StreamState>("connecting");
  const onRowChangeRef = useRef(onRowChange);
  useEffect(() => {
    onRowChangeRef.current = onRowChange;
  }, [onRowChange]);
  useEffect(() => {
    const source = new EventSource(`/api/tasks/${encodeURIComponent(taskId)}/events`);
    let pending: TaskEventDto[] = [];
    let frame: ReturnType<typeof setTimeout> | null = null;
    // Batch renders: a chatty agent can emit hundreds of events a second.
    const flush = () => {
      frame = null;
      const batch = pending;
      pending = [];
      setEvents((prev) => {
        const last = prev.length ? prev[prev.length - 1].id : 0;
        return [...prev, ...batch.filter((e) => e.id > last)];
      });
      return batch.some((e) => ROW_EVENT_TYPES.has(e.type));
    };
    source.onopen = () => setState("live");
    source.onmessage = (msg) => {
      pending.push(JSON.parse(msg.data) as TaskEventDto);
      frame ??= setTimeout(() => {
        if (flush()) onRowChangeRef.current();
      }, 50);
    };
    source.addEventListener("end", () => {
      source.close();
      if (frame) clearTimeout(frame);
      flush();
      setState("ended");
      onRowChangeRef.current();
    });
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) setState("reconnecting");
    };
    return () => {
      if (frame) clearTimeout(frame);
      source.close();
    };
  }, [taskId]);
  return { events, state };
}

function Json({ value }: { value: unknown }) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return <pre tabIndex={0} className="bg-muted/60 max-h-64 overflow-auto rounded p-2 font-mono text-xs whitespace-pre-wrap">{text}</pre>;
}

/** One row of the live stream, by AgentEvent type. */
function EventRow({ event, turn }: { event: TaskEventDto; turn: number | null }) {
  const p = event.payload as Record<string, unknown>;
  const time = <span className="text-muted-foreground shrink-0 font-mono text-[11px]">{formatTime(event.createdAt)}</span>;
  switch (event.type) {
    case "assistant":
      return (
        <div className="flex gap-3" data-testid="event-assistant">
          {time}
          <div className="min-w-0 flex-1">
            <div className="text-muted-foreground text-xs font-medium">Turn {turn}</div>
            <div className="text-sm whitespace-pre-wrap">{String(p.text ?? "")}</div>
          </div>
        </div>
      );
    case "tool_call": {
      const summary = toolCallSummary(p.input);
      return (
        <div className="flex gap-3" data-testid="event-tool-call">
          {time}
          <Collapsible className="min-w-0 flex-1">
            <CollapsibleTrigger className="flex max-w-full min-w-0 items-baseline gap-1.5 text-left text-sm">
              <span className="shrink-0 rounded bg-sky-100 px-1.5 py-0.5 font-mono text-xs text-sky-900">{String(p.name ?? "tool")}</span>
              {summary && (
                <code className="min-w-0 font-mono text-xs break-all" data-testid="tool-call-summary">
                  {summary}
                </code>
              )}
            </CollapsibleTrigger>
            <CollapsibleContent className="mt-1">
              <Json value={p.input} />
            </CollapsibleContent>
          </Collapsible>
        </div>
      );
    }
    case "tool_result":
      return (
        <div className="flex gap-3" data-testid="event-tool-result">
          {time}
          <div className="min-w-0 flex-1">
            <div className={p.isError ? "text-destructive text-xs font-medium" : "text-muted-foreground text-xs font-medium"}>
              {p.isError ? "Tool error" : "Tool result"}
            </div>
            <Json value={String(p.output ?? "").slice(0, 20_000)} />
          </div>
        </div>
      );
    case "stderr":
      return (
        <div className="flex gap-3" data-testid="event-stderr">
          {time}
          <pre className="min-w-0 flex-1 font-mono text-xs whitespace-pre-wrap text-amber-800">{String(p.line ?? "")}</pre>
        </div>
      );
    case "session":
      return (
        <div className="text-muted-foreground flex gap-3 text-xs">
          {time}Session {String(p.sessionId ?? "")}
        </div>
      );
    case "usage":
      return (
        <div className="text-muted-foreground flex gap-3 text-xs">
          {time}
          Usage: {String(p.inputTokens ?? 0)} in / {String(p.outputTokens ?? 0)} out
          {typeof p.costUsd === "number" ? ` · ${formatCost(p.costUsd)}` : ""}
        </div>
      );
    case "result": {
      const r = (p.result ?? {}) as Record<string, unknown>;
      return (
        <div className="flex gap-3" data-testid="event-result">
          {time}
          <div className="text-sm">
            <span className="font-medium">Result: {String(r.status ?? "")}</span> after {Number(r.turns ?? 0)} turn{Number(r.turns ?? 0) === 1 ? "" : "s"}
            {r.error ? <span className="text-destructive"> — {String(r.error)}</span> : null}
          </div>
        </div>
      );
    }
    default:
      return (
        <div className="flex gap-3">
          {time}
          <Json value={p} />
        </div>
      );
  }
}

function Stat({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="text-sm font-medium" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

/** The task page: live event stream, budgets, lease countdown, Cancel and Rerun. */
export function TaskView({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const task = useQuery({
    queryKey: queryKeys.task(id),
    queryFn: () => fetchers.task(id),
    // A slow safety net: the stream's session/usage/result events and its end refetch the row.
    refetchInterval: (q) => (q.state.data && TERMINAL_STATUSES.has(q.state.data.task.status) ? false : 5_000),
  });
  const { events, state } = useTaskEvents(id, () => void queryClient.invalidateQueries({ queryKey: queryKeys.task(id) }));
  const t = task.data?.task;
  const live = !!t && !TERMINAL_STATUSES.has(t.status);
  const schedule = useQuery({
    queryKey: queryKeys.schedule(t?.scheduleId ?? ""),
    queryFn: () => fetchers.schedule(t!.scheduleId!),
    enabled: !!t?.scheduleId,
    retry: false,
  });
  const now = useNow(1000, live);
  const bottom = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    if (follow) bottom.current?.scrollIntoView({ block: "nearest" });
  }, [events.length, follow]);

  const [confirmCancel, setConfirmCancel] = useState(false);
  // null: the default (open while queued, closed once it runs); then what the viewer chose.
  const [promptOpen, setPromptOpen] = useState<boolean | null>(null);
  const cancel = useMutation({
    mutationFn: () => apiFetch<{ task: TaskDto }>(`/api/tasks/${id}/cancel`, { method: "POST" }),
    onSuccess: (data) => {
      queryClient.setQueryData(queryKeys.task(id), (old: TaskDetailDto | undefined) => (old ? { ...old, task: data.task, queue: null } : old));
      setConfirmCancel(false);
      toast.success("Task cancelled");
    },
    onError: (err) => toast.error(`Could not cancel: ${err.message}`),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["tasks"] }),
  });
  const rerun = useCapacityRun({ path: `/api/tasks/${id}/rerun`, label: "Rerun" });

  if (task.isPending) {
    return (
      <div className="flex flex-col gap-4">
        <Skeleton className="h-8 w-1/3" />
        <Skeleton className="h-32 w-full" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  }
  if (task.error || !t) {
    return (
      <div role="alert" className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold">Task</h1>
        <p className="text-destructive text-sm">Could not load task {id}: {task.error?.message}</p>
        <Link className="text-sm underline" href="/tasks">
          Back to tasks
        </Link>
      </div>
    );
  }

  let turn = 0;
  const turnOf = events.map((e) => (e.type === "assistant" ? ++turn : null));
  // The stream is ahead of the row (turnCount is written per executor flush).
  const turnsUsed = Math.max(t.turnCount, turn);
  const outcome = taskOutcomeWords(t);
  const queue = t.status === "queued" ? task.data.queue : null;
  const leaseLeftMs = t.status === "running" && t.leaseExpiresAt ? Date.parse(t.leaseExpiresAt) - now : null;

  return (
    <div className="flex flex-col gap-4">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="flex min-w-0 flex-col gap-1">
          <h1 className="text-2xl font-semibold break-words">{t.title}</h1>
          <div className="text-muted-foreground flex flex-wrap items-center gap-2 text-sm">
            <TaskStatusBadge task={t} />
            <span>{t.sourceType}</span>
            <TaskTriggerNote task={t} />
            {t.scheduleId && (
              <Link className="underline" href={`/schedules/${t.scheduleId}`} data-testid="task-schedule-link">
                {schedule.data?.schedule.name ?? (schedule.error ? "deleted schedule" : "schedule")}
              </Link>
            )}
            {t.parentTaskId && (
              <Link className="underline" href={`/tasks/${t.parentTaskId}`}>
                previous attempt
              </Link>
            )}
          </div>
        </div>
        <div className="flex gap-2">
          {(t.status === "running" || t.status === "queued") && (
            <Button variant="destructive" onClick={() => setConfirmCancel(true)} disabled={cancel.isPending}>
              <Square />
              {cancel.isPending ? "Cancelling…" : "Cancel"}
            </Button>
          )}
          {TERMINAL_STATUSES.has(t.status) && t.status !== "skipped" && (
            <Button variant="outline" onClick={rerun.start} disabled={rerun.pending}>
              <RotateCcw />
              {rerun.pending ? "Starting…" : "Rerun"}
            </Button>
          )}
        </div>
      </div>
      {rerun.dialog}
      <AlertDialog open={confirmCancel} onOpenChange={setConfirmCancel}>
        <AlertDialogContent data-testid="cancel-dialog">
          <AlertDialogHeader>
            <AlertDialogTitle>Cancel this {t.status === "queued" ? "queued task" : "run"}?</AlertDialogTitle>
            <AlertDialogDescription>
              {t.status === "queued"
                ? "It leaves the queue and never starts."
                : "The agent and every process it started are stopped now; work in progress is lost. You can rerun it later."}
            </AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel disabled={cancel.isPending}>Keep running</AlertDialogCancel>
            <Button variant="destructive" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
              {cancel.isPending ? "Cancelling…" : t.status === "queued" ? "Cancel task" : "Cancel run"}
            </Button>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>

      {queue && (
        <div className="rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-950" data-testid="queue-position" role="status">
          <span className="font-medium">{queue.position === 1 ? "Next in the queue" : `Number ${queue.position} in the queue`}</span>
          {" · "}a slot should free in about {formatDuration(queue.slotEtaSec * 1000)}
          {queue.notBefore && <> · a retry, not before {formatDateTime(queue.notBefore)}</>}
        </div>
      )}

      <Card>
        <CardContent>
          <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
            <Stat label="Turns used / max turns" testId="turns">
              {turnsUsed} / {t.maxTurns}
            </Stat>
            <Stat label="Elapsed" testId="elapsed">
              {formatDuration(taskDurationMs(t, now))}
            </Stat>
            <Stat label="Lease" testId="lease">
              {leaseLeftMs == null ? "—" : leaseLeftMs > 0 ? `${formatDuration(leaseLeftMs)} left` : "expired, reaping"}
            </Stat>
            <Stat label="Attempt" testId="attempt">
              {t.attempt} of {t.maxAttempts}
            </Stat>
            <Stat label="Planned">{formatDateTime(t.plannedAt)}</Stat>
            <Stat label="Started">{formatDateTime(t.startedAt)}</Stat>
            <Stat label="Finished">{formatDateTime(t.finishedAt)}</Stat>
            <Stat label="Session" testId="session">
              <span className="font-mono text-xs break-all">{t.sessionId ?? "—"}</span>
            </Stat>
            {(t.inputTokens != null || t.costUsd != null) && (
              <Stat label="Tokens / cost">
                {t.inputTokens ?? 0} in · {t.outputTokens ?? 0} out{t.costUsd != null ? ` · ${formatCost(t.costUsd)}` : ""}
              </Stat>
            )}
          </dl>
          {(outcome || t.error) && (
            <div className="border-destructive/30 bg-destructive/5 mt-4 rounded-md border p-3 text-sm" data-testid="task-failure" data-code={t.failureReason ?? t.skippedReason ?? undefined}>
              <span className="font-medium">{outcome?.label ?? "Error"}</span>
              {outcome?.detail && <span> — {outcome.detail}</span>}
              {t.error && <div className="text-muted-foreground mt-1 font-mono text-xs break-words">{t.error}</div>}
            </div>
          )}
          {t.result && (
            <div className="mt-4">
              <div className="text-muted-foreground mb-1 text-xs">Result</div>
              <Json value={t.result} />
            </div>
          )}
        </CardContent>
      </Card>

      <Collapsible open={promptOpen ?? t.status === "queued"} onOpenChange={setPromptOpen} asChild>
        <Card className="gap-2">
          <CardHeader className="flex flex-row items-center justify-between">
            <CardTitle>Prompt</CardTitle>
            <CollapsibleTrigger asChild>
              <Button variant="ghost" size="sm" data-testid="prompt-toggle">
                {(promptOpen ?? t.status === "queued") ? "Hide" : "Show"}
              </Button>
            </CollapsibleTrigger>
          </CardHeader>
          <CollapsibleContent asChild>
            <CardContent>
              <TaskPrompt detail={task.data} />
            </CardContent>
          </CollapsibleContent>
        </Card>
      </Collapsible>

      <Card>
        <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2">
          <CardTitle>Event stream</CardTitle>
          <div className="flex items-center gap-3 text-xs">
            <label className="text-muted-foreground flex items-center gap-1.5">
              <Checkbox checked={follow} onCheckedChange={(v) => setFollow(v === true)} data-testid="follow-stream" /> follow
            </label>
            <span data-testid="stream-state" className={state === "live" ? "text-emerald-700" : "text-muted-foreground"}>
              {state === "live" ? "● live" : state === "ended" ? "ended" : state === "reconnecting" ? "reconnecting…" : "connecting…"}
            </span>
          </div>
        </CardHeader>
        <CardContent>
          <div className="flex max-h-[60vh] flex-col gap-3 overflow-y-auto" data-testid="event-stream" tabIndex={0} role="log" aria-label="Event stream">
            {!events.length ? (
              <p className="text-muted-foreground text-sm">
                {state === "ended" ? "This task recorded no events." : t.status === "queued" ? "Waiting for a slot…" : "Waiting for the agent…"}
              </p>
            ) : (
              events.map((e, i) => <EventRow key={e.id} event={e} turn={turnOf[i]} />)
            )}
            <div ref={bottom} />
          </div>
        </CardContent>
      </Card>
    </div>
  );
}
