"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toast } from "sonner";
import { DatabaseBackup } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { Switch } from "@/components/ui/switch";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { queryKeys } from "@/lib/ui/queries";
import type { BackupSettings, RetentionSettings } from "@/lib/retention/keep-settings";
import type { StorageOverview } from "@/lib/retention/storage";
import { formatBytes } from "./storage-format";

type DayKey = "tasksDays" | "taskEventsDays" | "eventsDays" | "chatDays";
const DAY_FIELDS: { key: DayKey; label: string; hint: string }[] = [
  { key: "tasksDays", label: "Finished runs", hint: "Completed, failed, cancelled and skipped runs, with their output." },
  { key: "taskEventsDays", label: "Run transcripts", hint: "Each run's agent stream (messages, tool calls). The run itself stays." },
  { key: "eventsDays", label: "Activity log", hint: "Pauses, missed occurrences, edits. A current auto-pause's reason is kept." },
  { key: "chatDays", label: "Chat", hint: "Conversations idle for longer, with their messages." },
];

interface KeepView {
  retention: RetentionSettings;
  backup: BackupSettings;
}

/** Storage figures (GET /api/storage) refresh this often on the settings page. */
const STORAGE_REFRESH_MS = 30_000;

/**
 * Settings → Data: how long each kind of history is kept (days; empty = forever), the runs
 * every schedule always keeps, the optional daily backup, and "Back up now" (POST
 * /api/backup; on PostgreSQL the answer says to use pg_dump). Saved with PATCH /api/settings.
 */
export function DataPanel() {
  const settings = useQuery({ queryKey: queryKeys.settings, queryFn: () => apiFetch<KeepView>("/api/settings") });
  if (settings.isError) return <p className="text-destructive text-sm">Could not load settings: {settings.error.message}</p>;
  if (settings.isPending || !settings.data.retention) return <Skeleton className="h-40" />;
  return <DataForm data={settings.data} />;
}

function DataForm({ data }: { data: KeepView }) {
  const queryClient = useQueryClient();
  const [days, setDays] = useState<Record<DayKey, string>>(() => ({
    tasksDays: data.retention.tasksDays?.toString() ?? "",
    taskEventsDays: data.retention.taskEventsDays?.toString() ?? "",
    eventsDays: data.retention.eventsDays?.toString() ?? "",
    chatDays: data.retention.chatDays?.toString() ?? "",
  }));
  const [keepRuns, setKeepRuns] = useState(String(data.retention.keepRunsPerSchedule));
  const [maxTasks, setMaxTasks] = useState(data.retention.maxTasksPerSchedule?.toString() ?? "");
  const [daily, setDaily] = useState(data.backup.dailyEnabled);
  const [keepBackups, setKeepBackups] = useState(String(data.backup.keep));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const storage = useQuery({ queryKey: ["storage"], queryFn: () => apiFetch<StorageOverview>("/api/storage"), refetchInterval: STORAGE_REFRESH_MS });

  const save = useMutation({
    mutationFn: (patch: { retention: Partial<RetentionSettings>; backup: Partial<BackupSettings> }) => apiFetch<KeepView>("/api/settings", { method: "PATCH", json: patch }),
    onSuccess: (next) => {
      queryClient.setQueryData(queryKeys.settings, next);
      setErrors({});
      toast.success("Retention and backup settings saved");
    },
    onError: (e) => setErrors(e instanceof ApiError && e.fields ? e.fields : { form: e.message }),
  });
  const backupNow = useMutation({
    mutationFn: () => apiFetch<{ path: string; bytes: number }>("/api/backup", { method: "POST" }),
    onSuccess: (b) => toast.success(`Backup written: ${b.path} (${formatBytes(b.bytes)})`),
    onError: (e) => toast.error(e.message),
  });

  const toNumber = (v: string) => (v.trim() === "" ? null : Number(v));
  return (
    <form
      className="flex flex-col gap-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({
          retention: { ...Object.fromEntries(DAY_FIELDS.map((f) => [f.key, toNumber(days[f.key])])), keepRunsPerSchedule: Number(keepRuns), maxTasksPerSchedule: toNumber(maxTasks) },
          backup: { dailyEnabled: daily, keep: Number(keepBackups) },
        });
      }}
    >
      <fieldset className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <legend className="mb-2 text-sm font-medium">Keep for (days; empty = forever)</legend>
        {DAY_FIELDS.map((f) => (
          <div key={f.key} className="flex flex-col gap-1.5" data-retention={f.key}>
            <Label htmlFor={`retention-${f.key}`}>{f.label}</Label>
            <Input
              id={`retention-${f.key}`}
              type="number"
              min={1}
              placeholder="forever"
              value={days[f.key]}
              onChange={(e) => setDays({ ...days, [f.key]: e.target.value })}
              aria-invalid={!!errors[`retention.${f.key}`]}
            />
            <p className="text-muted-foreground text-xs">{f.hint}</p>
            {errors[`retention.${f.key}`] && (
              <p role="alert" className="text-destructive text-xs">
                {errors[`retention.${f.key}`]}
              </p>
            )}
          </div>
        ))}
      </fieldset>
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="retention-keep-runs">Runs always kept per schedule</Label>
          <Input id="retention-keep-runs" type="number" min={0} value={keepRuns} onChange={(e) => setKeepRuns(e.target.value)} aria-invalid={!!errors["retention.keepRunsPerSchedule"]} />
          <p className="text-muted-foreground text-xs">Each schedule&apos;s newest runs stay, however old.</p>
          {errors["retention.keepRunsPerSchedule"] && (
            <p role="alert" className="text-destructive text-xs">
              {errors["retention.keepRunsPerSchedule"]}
            </p>
          )}
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="retention-max-tasks">Most runs kept per schedule</Label>
          <Input
            id="retention-max-tasks"
            type="number"
            min={100}
            placeholder="no limit"
            value={maxTasks}
            onChange={(e) => setMaxTasks(e.target.value)}
            aria-invalid={!!errors["retention.maxTasksPerSchedule"]}
          />
          <p className="text-muted-foreground text-xs">Beyond it the oldest go, whatever their age (empty = no limit).</p>
          {errors["retention.maxTasksPerSchedule"] && (
            <p role="alert" className="text-destructive text-xs">
              {errors["retention.maxTasksPerSchedule"]}
            </p>
          )}
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="backup-daily">Daily backup</Label>
          <div className="flex h-9 items-center gap-2">
            <Switch id="backup-daily" checked={daily} onCheckedChange={setDaily} />
            <span className="text-sm">{daily ? "On" : "Off"}</span>
          </div>
          <p className="text-muted-foreground text-xs">Into the data directory&apos;s backups/ folder (SQLite).</p>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="backup-keep">Daily backups kept</Label>
          <Input id="backup-keep" type="number" min={1} value={keepBackups} onChange={(e) => setKeepBackups(e.target.value)} aria-invalid={!!errors["backup.keep"]} />
          {errors["backup.keep"] && (
            <p role="alert" className="text-destructive text-xs">
              {errors["backup.keep"]}
            </p>
          )}
        </div>
      </div>
      {errors.form && (
        <p role="alert" className="text-destructive text-sm">
          {errors.form}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={save.isPending}>
          Save
        </Button>
        <Button type="button" variant="outline" disabled={backupNow.isPending} onClick={() => backupNow.mutate()}>
          <DatabaseBackup /> {backupNow.isPending ? "Backing up…" : "Back up now"}
        </Button>
      </div>
      <StorageLine storage={storage.data} />
    </form>
  );
}

function StorageLine({ storage }: { storage: StorageOverview | undefined }) {
  if (!storage) return null;
  const last = storage.lastMaintenance;
  return (
    <p className="text-muted-foreground text-xs" data-testid="storage-line">
      Database {formatBytes(storage.sizeBytes)}
      {storage.freeBytes ? `, ${formatBytes(storage.freeBytes)} free to give back` : ""}
      {storage.dialect === "sqlite" ? ` · auto-vacuum ${storage.autoVacuum}` : " · PostgreSQL (autovacuum)"}
      {last
        ? ` · last cleanup pruned ${last.deleted.tasks ?? 0} runs, ${last.deleted.taskEvents ?? 0} transcript lines in ${last.batches} batches (p99 ${last.p99BatchMs ?? 0} ms)`
        : " · first cleanup a minute after start, then every 10 minutes"}
    </p>
  );
}
