"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { ChevronDown, ChevronRight, CornerDownRight } from "lucide-react";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Collapsible, CollapsibleTrigger } from "@/components/ui/collapsible";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, formatDuration, taskDurationMs } from "@/lib/ui/format";
import { qs, queryKeys, type Page } from "@/lib/ui/queries";
import { groupHistory, type FoldItem } from "@/lib/ui/run-history-rows";
import type { EventDto, TaskDto } from "@/lib/ui/types";
import { skippedReasonWords, taskOutcomeWords } from "@/lib/ui/words";

/** A skipped reason in words without the "Skipped:" lead, for "3 skipped occurrences (…)". */
const skippedShort = (code: string | null) => (skippedReasonWords(code)?.label ?? "skipped").replace(/^Skipped: /, "");

function RunCells({ t, nested }: { t: TaskDto; nested?: boolean }) {
  const outcome = taskOutcomeWords(t);
  return (
    <>
      <TableCell className="whitespace-nowrap" data-stack="full">
        <Link href={`/tasks/${t.id}`} className="inline-flex items-center gap-1 hover:underline">
          {nested && <CornerDownRight className="text-muted-foreground size-3" />}
          {nested ? `attempt ${t.attempt}` : t.plannedAt ? formatDateTime(t.plannedAt) : `manual · ${formatDateTime(t.createdAt)}`}
        </Link>
        {t.backfill && !nested && (
          <Badge variant="outline" className="ml-2 text-xs" data-testid="history-backfill" title="Queued by a backfill of past occurrences">
            backfill
          </Badge>
        )}
      </TableCell>
      <TableCell className="whitespace-nowrap" data-label="Started">
        {formatDateTime(t.startedAt)}
      </TableCell>
      <TableCell data-label="Duration">{formatDuration(taskDurationMs(t))}</TableCell>
      <TableCell data-testid="history-turns" data-label="Turns / max turns">
        {t.turnCount} / {t.maxTurns}
      </TableCell>
      <TableCell data-label="Status">
        <TaskStatusBadge task={t} />
      </TableCell>
      <TableCell className="text-muted-foreground max-w-72 truncate text-xs" title={[outcome?.detail, t.error].filter(Boolean).join(" — ") || undefined} data-stack="hide-empty">
        {outcome?.label ?? ""}
        {t.attempt > 1 ? <span className="ml-1">(attempt {t.attempt}/{t.maxAttempts})</span> : null}
      </TableCell>
    </>
  );
}

function FoldRow({ items }: { items: FoldItem[] }) {
  const [open, setOpen] = useState(false);
  const skipped = items.filter((i) => i.kind === "skipped").length;
  const missed = items.reduce((n, i) => n + (i.kind === "missed" ? i.count : 0), 0);
  const reasons = [...new Set(items.flatMap((i) => (i.kind === "skipped" ? [skippedShort(i.task.skippedReason)] : [])))];
  const label = [skipped && `${skipped} skipped occurrence${skipped === 1 ? "" : "s"}${reasons.length ? ` (${reasons.join(", ")})` : ""}`, missed && `${missed} missed`]
    .filter(Boolean)
    .join(" · ");
  return (
    <Collapsible open={open} onOpenChange={setOpen} asChild>
      <tbody data-testid="history-fold">
        <TableRow className="bg-muted/30">
          <TableCell colSpan={6}>
            <CollapsibleTrigger className="text-muted-foreground inline-flex items-center gap-1 text-sm">
              {open ? <ChevronDown className="size-4" /> : <ChevronRight className="size-4" />}
              {label}
            </CollapsibleTrigger>
          </TableCell>
        </TableRow>
        {open &&
          items.map((i) =>
            i.kind === "skipped" ? (
              <TableRow key={i.task.id} className="text-muted-foreground text-xs">
                <TableCell className="pl-8">{formatDateTime(i.task.plannedAt ?? i.task.createdAt)}</TableCell>
                <TableCell colSpan={5}>{skippedReasonWords(i.task.skippedReason)?.label ?? "Skipped"}</TableCell>
              </TableRow>
            ) : (
              <TableRow key={`e${i.event.id}`} className="text-muted-foreground text-xs">
                <TableCell className="pl-8">{formatDateTime(i.event.createdAt)}</TableCell>
                <TableCell colSpan={5}>{i.event.message}</TableCell>
              </TableRow>
            ),
          )}
      </tbody>
    </Collapsible>
  );
}

/** A schedule's run history (GET /api/schedules/:id/tasks, newest first, paginated by nextCursor). */
export function RunHistory({ scheduleId, events }: { scheduleId: string; events: EventDto[] }) {
  const history = useInfiniteQuery({
    queryKey: queryKeys.scheduleTasks(scheduleId),
    queryFn: ({ pageParam }) => apiFetch<Page<TaskDto>>(`/api/schedules/${scheduleId}/tasks${qs({ limit: 25, before: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Refetching polls every loaded page; only poll while just the first page is loaded.
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 1) > 1 ? false : 3_000),
  });
  if (history.isPending) {
    return (
      <div className="flex flex-col gap-2">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} className="h-9 w-full" />
        ))}
      </div>
    );
  }
  if (history.error) {
    return (
      <div role="alert" className="text-destructive flex items-center gap-3 text-sm">
        Could not load the run history: {history.error.message}
        <Button size="sm" variant="outline" onClick={() => history.refetch()}>
          Retry
        </Button>
      </div>
    );
  }
  const tasks = history.data.pages.flatMap((p) => p.tasks);
  const rows = groupHistory(
    tasks,
    events.filter((e) => e.kind === "missed_occurrences"),
  );
  if (!rows.length) return <p className="text-muted-foreground rounded-lg border border-dashed p-6 text-center text-sm">No runs yet.</p>;
  return (
    <div className="flex flex-col gap-2">
      <Table stack>
        <TableHeader>
          <TableRow>
            <TableHead>Planned</TableHead>
            <TableHead>Started</TableHead>
            <TableHead>Duration</TableHead>
            <TableHead>Turns / max turns</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Why</TableHead>
          </TableRow>
        </TableHeader>
        {rows.map((row, i) =>
          row.kind === "fold" ? (
            <FoldRow key={`fold-${i}`} items={row.items} />
          ) : (
            <TableBody key={row.root.id}>
              <Fragment>
                <TableRow data-testid="history-row" data-task-id={row.root.id} data-status={row.root.status}>
                  <RunCells t={row.root} />
                </TableRow>
                {row.retries.map((r) => (
                  <TableRow key={r.id} data-testid="history-retry" className="bg-muted/20">
                    <RunCells t={r} nested />
                  </TableRow>
                ))}
              </Fragment>
            </TableBody>
          ),
        )}
      </Table>
      {history.hasNextPage && (
        <Button variant="outline" size="sm" className="self-center" onClick={() => history.fetchNextPage()} disabled={history.isFetchingNextPage}>
          {history.isFetchingNextPage ? "Loading…" : "Load older runs"}
        </Button>
      )}
    </div>
  );
}
