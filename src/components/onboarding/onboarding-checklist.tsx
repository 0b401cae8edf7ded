"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Circle, FlaskConical, Loader2 } from "lucide-react";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { toast } from "sonner";
import { RunNowButton } from "@/components/runs/run-now-button";
import { ScheduleFormSheet } from "@/components/schedules/schedule-form-sheet";
import type { ScheduleTemplate } from "@/components/schedules/form/schema";
import { TaskStatusBadge } from "@/components/tasks/task-status-badge";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Skeleton } from "@/components/ui/skeleton";
import type { OnboardingDetection, RuntimeOffer } from "@/lib/onboarding/detect";
import { apiFetch } from "@/lib/ui/api-client";
import { fetchers, queryKeys, type Page } from "@/lib/ui/queries";
import type { RuntimeDto, RuntimeTestResult, TaskDto } from "@/lib/ui/types";
import { SCHEDULE_TEMPLATES } from "./templates";

const DISMISSED_KEY = "agentcron.onboarding.dismissed";

function Step({ n, title, done, current, children, testId }: { n: number; title: string; done: boolean; current: boolean; children?: ReactNode; testId: string }) {
  return (
    <li className="flex gap-3" data-testid={testId} data-done={done} aria-current={current ? "step" : undefined}>
      <span className="mt-0.5 shrink-0" aria-hidden>
        {done ? <CheckCircle2 className="size-5 text-emerald-600" /> : <Circle className={current ? "text-foreground size-5" : "text-muted-foreground size-5"} />}
      </span>
      <div className="flex min-w-0 flex-1 flex-col gap-2">
        <p className={done ? "text-muted-foreground font-medium" : "font-medium"}>
          <span className="sr-only">{done ? "Done: " : "To do: "}</span>
          {n}. {title}
        </p>
        {current && children}
        {done && !current && children}
      </div>
    </li>
  );
}

function OfferButton({ offer, onCreate, pending }: { offer: RuntimeOffer; onCreate: (o: RuntimeOffer) => void; pending: boolean }) {
  return (
    <div className="flex flex-col gap-2 rounded-md border p-3 sm:flex-row sm:items-center sm:justify-between" data-testid="runtime-offer">
      <div className="min-w-0">
        <p className="flex flex-wrap items-center gap-2 text-sm font-medium">
          {offer.label}
          {offer.demo && <Badge variant="secondary">demo · no model</Badge>}
        </p>
        <p className="text-muted-foreground text-xs">{offer.detail}</p>
      </div>
      <Button size="sm" onClick={() => onCreate(offer)} disabled={pending} className="shrink-0">
        Use {offer.demo ? "the demo agent" : offer.label}
      </Button>
    </div>
  );
}

/**
 * First-run checklist on the dashboard (issue 13 item 1): add a runtime (one click on
 * what GET /api/onboarding found on this machine) → test it → create a schedule (from a
 * template) → see its first run. Shown while a step is open on this install; once every
 * step is done it says so until hidden. An install that was already set up never sees it.
 */
export function OnboardingChecklist() {
  const queryClient = useQueryClient();
  const runtimes = useQuery({ queryKey: queryKeys.runtimes, queryFn: fetchers.runtimes });
  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: fetchers.schedules, refetchInterval: 5_000 });
  const tasks = useQuery({
    queryKey: queryKeys.tasks({ limit: "5" }),
    queryFn: () => apiFetch<Page<TaskDto>>("/api/tasks?limit=5"),
    refetchInterval: 2_000,
  });
  const noRuntime = runtimes.data?.runtimes.length === 0;
  const detection = useQuery({
    queryKey: ["onboarding"],
    queryFn: () => apiFetch<OnboardingDetection>("/api/onboarding"),
    enabled: noRuntime,
    staleTime: 60_000,
  });
  // The card renders nothing until the queries answer (server render included), so reading storage here can't mismatch.
  const [dismissed, setDismissed] = useState(() => typeof window === "undefined" || window.localStorage.getItem(DISMISSED_KEY) === "1");
  const [sawIncomplete, setSawIncomplete] = useState(false);
  const [tested, setTested] = useState<{ runtime: RuntimeDto; result: RuntimeTestResult } | null>(null);
  const [sheet, setSheet] = useState<{ template?: ScheduleTemplate } | null>(null);

  const createRuntime = useMutation({
    mutationFn: (offer: RuntimeOffer) => apiFetch<{ runtime: RuntimeDto }>("/api/runtimes", { method: "POST", json: { ...offer.runtime, isDefault: true } }),
    onSuccess: (data) => {
      toast.success(`Runtime "${data.runtime.name}" added`);
      void queryClient.invalidateQueries({ queryKey: queryKeys.runtimes });
    },
    onError: (e) => toast.error(`Could not add the runtime: ${e.message}`),
  });
  const test = useMutation({
    mutationFn: (r: RuntimeDto) => apiFetch<RuntimeTestResult>(`/api/runtimes/${r.id}/test`, { method: "POST" }),
    onSuccess: (result, runtime) => setTested({ runtime, result }),
    onError: (e) => toast.error(`Testing failed: ${e.message}`),
  });

  const loading = runtimes.isPending || schedules.isPending || tasks.isPending;
  const runtime = runtimes.data?.runtimes.find((r) => r.isDefault) ?? runtimes.data?.runtimes[0];
  const firstSchedule = schedules.data?.schedules[0];
  const latestTask = tasks.data?.tasks[0];
  const completed = tasks.data?.tasks.find((t) => t.status === "completed");
  const steps = {
    runtime: !!runtime,
    test: !!tested?.result.responded || !!completed,
    schedule: !!firstSchedule,
    run: !!completed,
  };
  const allDone = steps.runtime && steps.test && steps.schedule && steps.run;
  // Adjusting state while rendering (React's documented pattern): remember that a step was open.
  if (!loading && !allDone && !sawIncomplete) setSawIncomplete(true);

  if (loading || dismissed || (allDone && !sawIncomplete) || runtimes.error) return null;
  const current = !steps.runtime ? 1 : !steps.test ? 2 : !steps.schedule ? 3 : !steps.run ? 4 : 0;
  const offers = detection.data?.offers ?? [];
  const real = offers.filter((o) => !o.demo);
  const demo = offers.filter((o) => o.demo);

  return (
    <Card data-testid="onboarding" aria-labelledby="onboarding-title">
      <CardHeader>
        <CardTitle id="onboarding-title">{allDone ? "You're set up" : "Get your first agent run"}</CardTitle>
        <CardDescription>{allDone ? "A runtime, a schedule and a completed run. The schedule fires on its own from now on." : "Four steps; about a minute."}</CardDescription>
      </CardHeader>
      <CardContent>
        <ol className="flex flex-col gap-4">
          <Step n={1} title="Add a runtime" done={steps.runtime} current={current === 1} testId="step-runtime">
            {steps.runtime ? (
              <p className="text-muted-foreground text-sm">
                Using <span className="text-foreground">{runtime!.name}</span>. Change it in <Link className="underline" href="/settings">Settings</Link>.
              </p>
            ) : detection.isPending ? (
              <div className="flex flex-col gap-2" aria-label="Looking for agents on this machine">
                <Skeleton className="h-14 w-full" />
                <Skeleton className="h-14 w-full" />
              </div>
            ) : detection.error ? (
              <p className="text-destructive text-sm">Could not look at this machine: {detection.error.message}</p>
            ) : (
              <div className="flex flex-col gap-2">
                <p className="text-muted-foreground text-sm">
                  {real.length
                    ? `Found on this machine — one click adds it as the default runtime:`
                    : "No agent found on this machine (Claude Code login or ANTHROPIC_API_KEY, codex, Ollama, OPENAI_API_KEY). Try Agentcron with the demo agent, or add a runtime in Settings:"}
                </p>
                {[...real, ...demo].map((o) => (
                  <OfferButton key={o.id} offer={o} onCreate={(x) => createRuntime.mutate(x)} pending={createRuntime.isPending} />
                ))}
                <details className="text-muted-foreground text-xs">
                  <summary className="cursor-pointer">What was checked</summary>
                  <ul className="mt-1 flex flex-col gap-0.5" data-testid="detection-checks">
                    {detection.data?.checks.map((c) => (
                      <li key={c.id}>
                        {c.found ? "✓" : "–"} {c.label}: {c.detail}
                      </li>
                    ))}
                  </ul>
                </details>
                <p className="text-xs">
                  Something else? <Link className="underline" href="/settings">Add a runtime by hand</Link>.
                </p>
              </div>
            )}
          </Step>

          <Step n={2} title="Test it" done={steps.test} current={current === 2} testId="step-test">
            {runtime && (
              <div className="flex flex-col gap-2">
                <div className="flex flex-wrap items-center gap-2">
                  <Button size="sm" variant={steps.test ? "outline" : "default"} onClick={() => test.mutate(runtime)} disabled={test.isPending}>
                    {test.isPending ? <Loader2 className="animate-spin" /> : <FlaskConical />}
                    {test.isPending ? "Testing…" : `Test ${runtime.name}`}
                  </Button>
                  {tested && (
                    <Badge variant={tested.result.responded ? "success" : "destructive"} data-testid="onboarding-test-verdict">
                      {tested.result.responded ? "responded" : "failed"}
                    </Badge>
                  )}
                </div>
                {tested && !tested.result.responded && (
                  <p className="text-destructive text-sm">
                    {tested.result.error ?? tested.result.failureReason}. Fix it in <Link className="underline" href="/settings">Settings</Link>.
                  </p>
                )}
              </div>
            )}
          </Step>

          <Step n={3} title="Create a schedule" done={steps.schedule} current={current === 3} testId="step-schedule">
            {steps.schedule ? (
              <p className="text-muted-foreground text-sm">
                <Link className="text-foreground underline" href={`/schedules/${firstSchedule!.id}`}>
                  {firstSchedule!.name}
                </Link>{" "}
                — {firstSchedule!.description}.
              </p>
            ) : (
              <div className="flex flex-col gap-2">
                <p className="text-muted-foreground text-sm">Start from a template (you can change everything) or from a blank sheet:</p>
                <div className="grid gap-2 sm:grid-cols-2">
                  {SCHEDULE_TEMPLATES.map((t) => (
                    <button
                      key={t.id}
                      type="button"
                      onClick={() => setSheet({ template: t.template })}
                      className="hover:bg-muted focus-visible:ring-ring/50 rounded-md border p-3 text-left text-sm outline-none focus-visible:ring-[3px]"
                      data-testid="schedule-template"
                    >
                      <span className="block font-medium">{t.title}</span>
                      <span className="text-muted-foreground block text-xs">{t.summary}</span>
                    </button>
                  ))}
                </div>
                <div>
                  <Button size="sm" variant="outline" onClick={() => setSheet({})}>
                    Blank schedule
                  </Button>
                </div>
              </div>
            )}
          </Step>

          <Step n={4} title="See its first run" done={steps.run} current={current === 4} testId="step-run">
            {firstSchedule && (
              <div className="flex flex-col gap-2 text-sm">
                {!steps.run && <p className="text-muted-foreground">Run it now rather than waiting for {firstSchedule.description.toLowerCase()}:</p>}
                <div className="flex flex-wrap items-center gap-2">
                  {!steps.run && <RunNowButton schedule={firstSchedule} />}
                  {latestTask && (
                    <Link href={`/tasks/${latestTask.id}`} className="inline-flex items-center gap-2 underline" data-testid="onboarding-latest-run">
                      <TaskStatusBadge task={latestTask} /> Open the run
                    </Link>
                  )}
                </div>
              </div>
            )}
          </Step>
        </ol>
        {allDone && (
          <div className="mt-4 flex justify-end">
            <Button
              size="sm"
              variant="outline"
              onClick={() => {
                window.localStorage.setItem(DISMISSED_KEY, "1");
                setDismissed(true);
              }}
            >
              Hide this checklist
            </Button>
          </div>
        )}
      </CardContent>
      <ScheduleFormSheet open={sheet !== null} onOpenChange={(o) => !o && setSheet(null)} schedule={null} template={sheet?.template} />
    </Card>
  );
}
