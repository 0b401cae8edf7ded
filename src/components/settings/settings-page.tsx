"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "sonner";
import { FlaskConical, Lock, Pencil, Plus, Trash2 } from "lucide-react";
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
import { RunnersPanel } from "./runners-panel";
import { DataPanel } from "./data-panel";
import { SpendSettingsCard } from "./spend-settings";
import { NotificationsPanel } from "./notifications-panel";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { formatDuration } from "@/lib/ui/format";
import { fetchers, queryKeys } from "@/lib/ui/queries";
import type { RuntimeDto, RuntimeTestResult, SettingsView } from "@/lib/ui/types";
import { failureReasonWords } from "@/lib/ui/words";
import { RuntimeFormDialog } from "./runtime-form-dialog";

type Key = "maxConcurrent" | "maxRunDurationSec" | "chatPressureDelaySec";
const SETTINGS: { key: Key; label: string; env: string; hint: string }[] = [
  { key: "maxConcurrent", label: "Concurrency cap (slots)", env: "SCHEDULE_MAX_CONCURRENT", hint: "Scheduled runs that may hold a slot at once." },
  { key: "maxRunDurationSec", label: "Default max run duration (seconds)", env: "SCHEDULE_MAX_RUN_DURATION_SEC", hint: "The lease of a run whose schedule doesn't set one." },
  {
    key: "chatPressureDelaySec",
    label: "Chat pressure delay (seconds)",
    env: "SCHEDULE_CHAT_PRESSURE_DELAY_SEC",
    hint: "How long a scheduled start may be held back at most while a chat streams.",
  },
];

function SettingsForm() {
  const settings = useQuery({ queryKey: queryKeys.settings, queryFn: fetchers.settings });
  if (settings.error) {
    return (
      <p role="alert" className="text-destructive text-sm">
        Could not load settings: {settings.error.message}
      </p>
    );
  }
  if (settings.isPending) {
    return (
      <div className="grid gap-4 sm:grid-cols-3">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} className="h-16" />
        ))}
      </div>
    );
  }
  return <SettingsFields data={settings.data} />;
}

function SettingsFields({ data }: { data: SettingsView }) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<Key, string>>(() => ({
    maxConcurrent: String(data.maxConcurrent),
    maxRunDurationSec: String(data.maxRunDurationSec),
    chatPressureDelaySec: String(data.chatPressureDelaySec),
  }));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (patch: Partial<Record<Key, number>>) => apiFetch<SettingsView>("/api/settings", { method: "PATCH", json: patch }),
    onSuccess: (next) => {
      queryClient.setQueryData(queryKeys.settings, next);
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedulerStatus });
      setErrors({});
      toast.success("Settings saved");
    },
    onError: (e) => setErrors(e instanceof ApiError && e.fields ? e.fields : { form: e.message }),
  });

  const locked = new Set(data.lockedByEnv);
  return (
    <form
      className="flex flex-col gap-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const patch: Partial<Record<Key, number>> = {};
        for (const s of SETTINGS) if (!locked.has(s.key) && Number(values[s.key]) !== data[s.key]) patch[s.key] = Number(values[s.key]);
        if (!Object.keys(patch).length) {
          toast.info("Nothing changed");
          return;
        }
        save.mutate(patch);
      }}
    >
      <div className="grid gap-4 sm:grid-cols-3">
        {SETTINGS.map((s) => (
          <div key={s.key} className="flex flex-col gap-1.5" data-setting={s.key}>
            <Label htmlFor={`setting-${s.key}`}>
              {s.label}
              {locked.has(s.key) && (
                <Tooltip>
                  <TooltipTrigger asChild>
                    <span className="inline-flex items-center gap-1 text-xs font-normal text-amber-700" data-testid={`locked-${s.key}`}>
                      <Lock className="size-3" /> locked
                    </span>
                  </TooltipTrigger>
                  <TooltipContent>Set by the environment variable {s.env}; unset it to edit here.</TooltipContent>
                </Tooltip>
              )}
            </Label>
            <Input
              id={`setting-${s.key}`}
              type="number"
              min={1}
              value={locked.has(s.key) ? String(data[s.key]) : values[s.key]}
              disabled={locked.has(s.key)}
              onChange={(e) => setValues({ ...values, [s.key]: e.target.value })}
              aria-invalid={!!errors[s.key]}
            />
            <p className="text-muted-foreground text-xs">{locked.has(s.key) ? `From ${s.env}.` : s.hint}</p>
            {errors[s.key] && (
              <p role="alert" className="text-destructive text-xs">
                {errors[s.key]}
              </p>
            )}
          </div>
        ))}
      </div>
      {errors.form && (
        <p role="alert" className="text-destructive text-sm">
          {errors.form}
        </p>
      )}
      <Button type="submit" className="self-start" disabled={save.isPending || locked.size === SETTINGS.length}>
        {save.isPending ? "Saving…" : "Save settings"}
      </Button>
    </form>
  );
}

function describeConfig(r: RuntimeDto): string {
  const c = r.config as Record<string, unknown>;
  if (r.kind === "command") return Array.isArray(c.command) ? (c.command as string[]).join(" ") : "";
  if (r.kind === "openai-compatible") return `${String(c.model ?? "")} @ ${String(c.baseUrl ?? "")}`;
  return String(c.model ?? "SDK default model");
}

/**
 * Which runners can run a runtime (issue 14 item 4): its pinning (config.runnerLabels), its
 * cap (config.maxConcurrent), and the live runners whose labels fit (`eligibleRunners`);
 * none → said plainly, its tasks wait queued.
 */
function RuntimeRunners({ r }: { r: RuntimeDto }) {
  const c = r.config as Record<string, unknown>;
  const labels = Array.isArray(c.runnerLabels) ? (c.runnerLabels as string[]) : [];
  const eligible = r.eligibleRunners ?? [];
  return (
    <div className="flex flex-col gap-1 text-xs" data-testid="runtime-runners">
      <span className="text-muted-foreground">
        {labels.length ? <>Pinned to {labels.map((l) => <Badge key={l} variant="outline" className="mr-1">{l}</Badge>)}</> : "Any runner"}
        {typeof c.maxConcurrent === "number" && <> · at most {c.maxConcurrent} at once</>}
      </span>
      {eligible.length ? (
        <span data-testid="runtime-eligible">
          {eligible.length} live runner{eligible.length === 1 ? "" : "s"}: {eligible.map((e) => `${e.hostname} (${e.kind})`).join(", ")}
        </span>
      ) : (
        <span className="text-destructive font-medium" data-testid="runtime-no-runner">
          No live runner can run it{labels.length ? ` — start one with AGENTCRON_RUNNER_LABELS=${labels.join(",")}` : ""}; its tasks wait queued.
        </span>
      )}
    </div>
  );
}

function RuntimesPanel() {
  const queryClient = useQueryClient();
  const runtimes = useQuery({ queryKey: queryKeys.runtimes, queryFn: fetchers.runtimes });
  const [editing, setEditing] = useState<{ open: boolean; runtime: RuntimeDto | null }>({ open: false, runtime: null });
  const [deleting, setDeleting] = useState<RuntimeDto | null>(null);
  const [testResult, setTestResult] = useState<{ runtime: RuntimeDto; result: RuntimeTestResult } | null>(null);

  const remove = useMutation({
    mutationFn: (r: RuntimeDto) => apiFetch(`/api/runtimes/${r.id}`, { method: "DELETE" }),
    onSuccess: () => {
      toast.success("Runtime deleted");
      setDeleting(null);
    },
    onError: (e) => {
      setDeleting(null);
      toast.error(`Could not delete: ${e.message}`);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: queryKeys.runtimes }),
  });
  const test = useMutation({
    mutationFn: (r: RuntimeDto) => apiFetch<RuntimeTestResult>(`/api/runtimes/${r.id}/test`, { method: "POST" }),
    onSuccess: (result, r) => setTestResult({ runtime: r, result }),
    onError: (e, r) => toast.error(`Testing "${r.name}" failed: ${e.message}`),
  });

  return (
    <>
      <div className="flex justify-end">
        <Button onClick={() => setEditing({ open: true, runtime: null })}>
          <Plus />
          New runtime
        </Button>
      </div>
      {runtimes.isPending ? (
        <Skeleton className="h-24 w-full" />
      ) : runtimes.error ? (
        <div role="alert" className="text-destructive flex items-center gap-3 text-sm">
          Could not load runtimes: {runtimes.error.message}
          <Button size="sm" variant="outline" onClick={() => runtimes.refetch()}>
            Retry
          </Button>
        </div>
      ) : !runtimes.data.runtimes.length ? (
        <p className="text-muted-foreground rounded-lg border border-dashed p-6 text-center text-sm">
          No runtimes yet. Add one so schedules have somewhere to run.
        </p>
      ) : (
        <Table stack>
          <TableHeader>
            <TableRow>
              <TableHead>Name</TableHead>
              <TableHead>Kind</TableHead>
              <TableHead>Config</TableHead>
              <TableHead>Runners</TableHead>
              <TableHead className="text-right">Actions</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {runtimes.data.runtimes.map((r) => (
              <TableRow key={r.id} data-testid="runtime-row">
                <TableCell className="font-medium" data-label="Name">
                  {r.name} {r.isDefault && <Badge variant="secondary">default</Badge>}
                </TableCell>
                <TableCell data-label="Kind">{r.kind}</TableCell>
                <TableCell className="text-muted-foreground max-w-80 truncate font-mono text-xs" title={describeConfig(r)} data-stack="full" data-label="Config">
                  {describeConfig(r)}
                </TableCell>
                <TableCell data-stack="full" data-label="Runners">
                  <RuntimeRunners r={r} />
                </TableCell>
                <TableCell data-stack="full">
                  <div className="flex flex-wrap gap-2 md:justify-end">
                    <Button size="sm" variant="outline" onClick={() => test.mutate(r)} disabled={test.isPending && test.variables?.id === r.id}>
                      <FlaskConical />
                      {test.isPending && test.variables?.id === r.id ? "Testing…" : "Test runtime"}
                    </Button>
                    <Button size="sm" variant="outline" onClick={() => setEditing({ open: true, runtime: r })}>
                      <Pencil />
                      Edit
                    </Button>
                    <Button size="sm" variant="outline" onClick={() => setDeleting(r)} aria-label={`Delete ${r.name}`}>
                      <Trash2 />
                    </Button>
                  </div>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}

      <RuntimeFormDialog open={editing.open} onOpenChange={(open) => setEditing((e) => ({ ...e, open }))} runtime={editing.runtime} />

      <AlertDialog open={deleting !== null} onOpenChange={(o) => !o && setDeleting(null)}>
        <AlertDialogContent>
          <AlertDialogHeader>
            <AlertDialogTitle>Delete runtime “{deleting?.name}”?</AlertDialogTitle>
            <AlertDialogDescription>A runtime that schedules still use can&apos;t be deleted; move them first.</AlertDialogDescription>
          </AlertDialogHeader>
          <AlertDialogFooter>
            <AlertDialogCancel>Cancel</AlertDialogCancel>
            <Button variant="destructive" onClick={() => deleting && remove.mutate(deleting)} disabled={remove.isPending}>
              {remove.isPending ? "Deleting…" : "Delete"}
            </Button>
          </AlertDialogFooter>
        </AlertDialogContent>
      </AlertDialog>

      <Dialog open={testResult !== null} onOpenChange={(o) => !o && setTestResult(null)}>
        <DialogContent data-testid="runtime-test-result">
          <DialogHeader>
            <DialogTitle>Test of “{testResult?.runtime.name}”</DialogTitle>
            <DialogDescription>A one-turn prompt through the runtime.</DialogDescription>
          </DialogHeader>
          {testResult && (
            <div className="flex flex-col gap-3 text-sm">
              <div className="flex items-center gap-2">
                <Badge variant={testResult.result.responded ? "success" : "destructive"} data-testid="runtime-test-verdict">
                  {testResult.result.responded ? "responded" : "failed"}
                </Badge>
                <span className="text-muted-foreground">
                  {testResult.result.turns} turn{testResult.result.turns === 1 ? "" : "s"} · {formatDuration(testResult.result.durationMs)}
                  {testResult.result.status === "max_turns" && testResult.result.responded && " · stopped at the test's one-turn budget, as expected for a multi-turn agent"}
                </span>
              </div>
              {testResult.result.text && <pre tabIndex={0} className="bg-muted/60 max-h-60 overflow-auto rounded p-2 text-xs whitespace-pre-wrap">{testResult.result.text}</pre>}
              {!testResult.result.responded && (testResult.result.error || testResult.result.failureReason) && (
                <p className="text-destructive">
                  {testResult.result.failureReason && (
                    <span className="font-medium" title={failureReasonWords(testResult.result.failureReason)?.detail}>
                      {failureReasonWords(testResult.result.failureReason)?.label}:{" "}
                    </span>
                  )}
                  {testResult.result.error}
                </p>
              )}
            </div>
          )}
        </DialogContent>
      </Dialog>
    </>
  );
}

/** Settings, in this order: the three scheduler settings (env-pinned ones locked), runtimes, the runners they run on, notifications, spend, data. */
export function SettingsPage() {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Settings</h1>
      <Card>
        <CardHeader>
          <CardTitle>Scheduler</CardTitle>
          <CardDescription>Environment variables win over what is saved here.</CardDescription>
        </CardHeader>
        <CardContent>
          <SettingsForm />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Runtimes</CardTitle>
          <CardDescription>Agent backends: Claude Agent SDK, any CLI agent as a command, or an OpenAI-compatible API.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-3">
          <RuntimesPanel />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Runners</CardTitle>
          <CardDescription>
            Processes that plan and run tasks on this database: each web instance and each <code>npm run worker</code>.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <RunnersPanel />
        </CardContent>
      </Card>
      <Card id="notifications">
        <CardHeader>
          <CardTitle>Notifications</CardTitle>
          <CardDescription>Channels that alerts and results go to: signed webhooks, Slack-compatible URLs, email over SMTP.</CardDescription>
        </CardHeader>
        <CardContent>
          <NotificationsPanel />
        </CardContent>
      </Card>
      <SpendSettingsCard />
      <Card id="data">
        <CardHeader>
          <CardTitle>Data: retention and backups</CardTitle>
          <CardDescription>Old history is pruned in small batches every 10 minutes; the database file shrinks as it goes.</CardDescription>
        </CardHeader>
        <CardContent>
          <DataPanel />
        </CardContent>
      </Card>
    </div>
  );
}
