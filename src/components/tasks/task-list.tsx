"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Button } from "@/components/ui/button";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { TASK_STATUSES } from "@/lib/db/constants";
import { apiFetch } from "@/lib/ui/api-client";
import { formatDateTime, formatDuration, relativeTime, taskDurationMs } from "@/lib/ui/format";
import { fetchers, qs, queryKeys, type Page } from "@/lib/ui/queries";
import type { TaskDto } from "@/lib/ui/types";
import { useNow } from "@/lib/ui/use-now";
import { taskOutcomeWords, taskStatusWords } from "@/lib/ui/words";
import { TaskStatusBadge } from "./task-status-badge";

const ALL = "__all__";

/** The tasks page: every task newest first, filterable by status and schedule (kept in the URL). */
export function TaskList() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const status = params.get("status") ?? undefined;
  const scheduleId = params.get("scheduleId") ?? undefined;
  // Relative times and running durations tick even while polling is off (more than one page loaded).
  const now = useNow(15_000);
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params.toString());
    if (value === ALL) next.delete(key);
    else next.set(key, value);
    router.replace(`${pathname}${next.size ? `?${next}` : ""}`);
  };

  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules });
  const scheduleNames = new Map(schedules.data?.schedules.map((s) => [s.id, s.name]));
  const tasks = useInfiniteQuery({
    queryKey: queryKeys.tasks({ status, scheduleId }),
    queryFn: ({ pageParam }) => apiFetch<Page<TaskDto>>(`/api/tasks${qs({ status, scheduleId, limit: 50, before: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Refetching polls every loaded page; only poll while just the first page is loaded.
    refetchInterval: (q) => ((q.state.data?.pages.length ?? 1) > 1 ? false : 3_000),
  });
  const rows = tasks.data?.pages.flatMap((p) => p.tasks) ?? [];

  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Tasks</h1>
      <div className="flex flex-wrap gap-3">
        <div className="w-full sm:w-44">
          <Select value={status ?? ALL} onValueChange={(v) => setFilter("status", v)}>
            <SelectTrigger aria-label="Filter by status" data-testid="status-filter">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={ALL}>All statuses</SelectItem>
              {TASK_STATUSES.map((s) => (
                <SelectItem key={s} value={s}>
                  {taskStatusWords(s).label}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        <div className="flex w-full flex-col gap-1 sm:w-64">
          <Select value={scheduleId ?? ALL} onValueChange={(v) => setFilter("scheduleId", v)} disabled={schedules.isPending}>
            <SelectTrigger aria-label="Filter by schedule" data-testid="schedule-filter">
              <SelectValue placeholder={schedules.error ? "Schedules unavailable" : "All schedules"} />
            </SelectTrigger>
            <SelectContent>
              <SelectItem value={ALL}>All schedules</SelectItem>
              {schedules.data?.schedules.map((s) => (
                <SelectItem key={s.id} value={s.id}>
                  {s.name}
                </SelectItem>
              ))}
              {scheduleId && !scheduleNames.has(scheduleId) && <SelectItem value={scheduleId}>Deleted schedule</SelectItem>}
            </SelectContent>
          </Select>
          {schedules.error && <span className="text-destructive text-xs">Schedules unavailable: {schedules.error.message}</span>}
        </div>
      </div>

      {tasks.isPending ? (
        <div className="flex flex-col gap-2" aria-label="Loading tasks">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-10 w-full" />
          ))}
        </div>
      ) : tasks.error ? (
        <div role="alert" className="text-destructive flex items-center gap-3 text-sm">
          Could not load tasks: {tasks.error.message}
          <Button size="sm" variant="outline" onClick={() => tasks.refetch()}>
            Retry
          </Button>
        </div>
      ) : !rows.length ? (
        <p className="text-muted-foreground rounded-lg border border-dashed p-8 text-center text-sm">
          {status || scheduleId ? "No tasks match these filters." : "No tasks yet. Run a schedule to see its runs here."}
        </p>
      ) : (
        <>
          <Table stack>
            <TableHeader>
              <TableRow>
                <TableHead>Task</TableHead>
                <TableHead>Schedule</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Source</TableHead>
                <TableHead>Created</TableHead>
                <TableHead>Duration</TableHead>
                <TableHead>Turns / max turns</TableHead>
                <TableHead>Why</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map((t) => {
                const outcome = taskOutcomeWords(t);
                return (
                <TableRow key={t.id} data-testid="task-row" data-task-id={t.id} data-status={t.status}>
                  <TableCell className="max-w-64 truncate font-medium" data-stack="full">
                    <Link href={`/tasks/${t.id}`} className="hover:underline">
                      {t.title}
                    </Link>
                  </TableCell>
                  <TableCell data-label="Schedule">
                    {t.scheduleId ? (
                      <Link href={`/schedules/${t.scheduleId}`} className="hover:underline">
                        {scheduleNames.get(t.scheduleId) ?? "deleted schedule"}
                      </Link>
                    ) : (
                      <span className="text-muted-foreground">—</span>
                    )}
                  </TableCell>
                  <TableCell data-label="Status">
                    <TaskStatusBadge task={t} />
                  </TableCell>
                  <TableCell className="text-muted-foreground text-xs" data-label="Source">
                    {t.sourceType}
                    {t.attempt > 1 ? ` · attempt ${t.attempt}/${t.maxAttempts}` : ""}
                  </TableCell>
                  <TableCell title={formatDateTime(t.createdAt)} data-label="Created">
                    {relativeTime(t.createdAt, now, { past: true })}
                  </TableCell>
                  <TableCell data-label="Duration">{formatDuration(taskDurationMs(t, now))}</TableCell>
                  <TableCell data-label="Turns / max turns">
                    {t.turnCount} / {t.maxTurns}
                  </TableCell>
                  <TableCell className="text-muted-foreground text-xs" title={outcome?.detail} data-stack="hide-empty" data-label="Why">
                    {outcome?.label ?? ""}
                  </TableCell>
                </TableRow>
                );
              })}
            </TableBody>
          </Table>
          {tasks.hasNextPage && (
            <Button variant="outline" className="self-center" onClick={() => tasks.fetchNextPage()} disabled={tasks.isFetchingNextPage}>
              {tasks.isFetchingNextPage ? "Loading…" : "Load more"}
            </Button>
          )}
        </>
      )}
    </div>
  );
}
