"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CalendarClock, ChevronRight, X } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Checkbox } from "@/components/ui/checkbox";
import { Collapsible, CollapsibleContent, CollapsibleTrigger } from "@/components/ui/collapsible";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { NativeSelect } from "@/components/ui/native-select";
import { CALENDAR_LIMITS, type ActiveWindow, type WindowPolicy } from "@/lib/db/constants";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { formatDateTime } from "@/lib/ui/format";
import { queryKeys } from "@/lib/ui/queries";
import type { ScheduleDto } from "@/lib/ui/types";

const DAYS = [
  [1, "Mon"],
  [2, "Tue"],
  [3, "Wed"],
  [4, "Thu"],
  [5, "Fri"],
  [6, "Sat"],
  [7, "Sun"],
] as const;

/** A datetime-local value ("2026-12-02T09:30", the browser's zone) → ISO, or null when empty. */
const localToIso = (v: string) => (v ? new Date(v).toISOString() : null);

/** Field messages of a refused request, as one line. */
const problem = (err: unknown) =>
  err instanceof ApiError && err.fields ? Object.entries(err.fields).map(([k, m]) => `${k} ${m}`).join("; ") : (err as Error).message;

/**
 * The schedule sheet's "Calendar" part (issue 12 items 2, 3, 5; docs/api.md "Calendar
 * controls"): active window (days, hours in the schedule's zone, skip or defer), excluded
 * dates, jitter, pause until, skip next, run once at (plain words), backfill. It acts on
 * a saved schedule through its own requests (PATCH and the skip-next / backfill
 * endpoints) and hands the saved schedule back with `onSaved`; a schedule not yet created
 * shows a note instead.
 */
export function CalendarSection({ schedule, onSaved }: { schedule: ScheduleDto | null; onSaved: (s: ScheduleDto) => void }) {
  const [open, setOpen] = useState(() => !!schedule && (schedule.activeWindow != null || schedule.excludeDates.length > 0 || schedule.jitterSec > 0 || schedule.pausedUntil != null));
  return (
    <Collapsible open={open} onOpenChange={setOpen} className="flex flex-col gap-4" data-testid="sheet-calendar">
      <CollapsibleTrigger className="hover:bg-muted -mx-2 flex items-center gap-1 rounded-md px-2 py-1 text-left text-sm font-semibold" type="button">
        <ChevronRight className="size-4 transition-transform [[data-state=open]>&]:rotate-90" aria-hidden />
        Calendar
        <span className="text-muted-foreground ml-1 text-xs font-normal">active hours, holidays, jitter, pause, one-shot, backfill</span>
      </CollapsibleTrigger>
      <CollapsibleContent className="flex flex-col gap-5">
        {schedule ? (
          <CalendarControls key={schedule.id} schedule={schedule} onSaved={onSaved} />
        ) : (
          <p className="text-muted-foreground text-sm">Create the schedule first; then its calendar can be set here.</p>
        )}
      </CollapsibleContent>
    </Collapsible>
  );
}

function CalendarControls({ schedule, onSaved }: { schedule: ScheduleDto; onSaved: (s: ScheduleDto) => void }) {
  const queryClient = useQueryClient();
  const w = schedule.activeWindow;
  const [windowOn, setWindowOn] = useState(w != null);
  const [days, setDays] = useState<number[]>(w?.days ?? [1, 2, 3, 4, 5]);
  const [start, setStart] = useState(w?.start ?? "09:00");
  const [end, setEnd] = useState(w?.end ?? "18:00");
  const [policy, setPolicy] = useState<WindowPolicy>(w?.policy ?? "skip");
  const [dates, setDates] = useState<string[]>(schedule.excludeDates);
  const [newDate, setNewDate] = useState("");
  const [jitter, setJitter] = useState(String(schedule.jitterSec));
  const [pauseUntil, setPauseUntil] = useState("");
  const [runOnce, setRunOnce] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [maxCount, setMaxCount] = useState("100");
  const [error, setError] = useState<string | null>(null);

  const refresh = (s?: ScheduleDto) => {
    if (s) {
      queryClient.setQueryData(queryKeys.schedule(s.id), { schedule: s });
      onSaved(s);
    }
    void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
    void queryClient.invalidateQueries({ queryKey: queryKeys.scheduleTasks(schedule.id) });
  };
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => apiFetch<{ schedule: ScheduleDto }>(`/api/schedules/${schedule.id}`, { method: "PATCH", json: body }),
    onMutate: () => setError(null),
    onSuccess: (d, body) => {
      refresh(d.schedule);
      toast.success("pausedUntil" in body ? "Paused" : "runOnceAt" in body ? `Runs once at ${formatDateTime(d.schedule.nextFireAt, d.schedule.timezone)}` : "Calendar saved");
    },
    onError: (err) => setError(problem(err)),
  });
  const skipNext = useMutation({
    mutationFn: () => apiFetch<{ schedule: ScheduleDto }>(`/api/schedules/${schedule.id}/skip-next`, { method: "POST" }),
    onMutate: () => setError(null),
    onSuccess: (d) => {
      refresh(d.schedule);
      toast.success(d.schedule.nextFireAt ? `Skipped; next run ${formatDateTime(d.schedule.nextFireAt, d.schedule.timezone)}` : "Skipped; no occurrence left");
    },
    onError: (err) => setError(problem(err)),
  });
  const backfill = useMutation({
    mutationFn: () =>
      apiFetch<{ taskIds: string[]; existing: number; leftOut: number }>(`/api/schedules/${schedule.id}/backfill`, {
        method: "POST",
        json: { from: localToIso(from), to: localToIso(to), maxCount: Number(maxCount) },
      }),
    onMutate: () => setError(null),
    onSuccess: (d) => {
      refresh();
      toast.success(`Backfill: ${d.taskIds.length} queued, ${d.existing} already ran, ${d.leftOut} left out by the calendar`);
    },
    onError: (err) => setError(problem(err)),
  });
  const busy = patch.isPending || skipNext.isPending || backfill.isPending;

  const saveCalendar = () => {
    const activeWindow: ActiveWindow | null = windowOn ? { days, start, end, policy } : null;
    patch.mutate({ activeWindow, excludeDates: dates, jitterSec: Number(jitter) || 0 });
  };
  const tz = schedule.timezone;

  return (
    <div className="flex flex-col gap-5 text-sm">
      <fieldset className="flex flex-col gap-3" data-testid="calendar-window">
        <legend className="sr-only">Active window</legend>
        <div className="flex items-center gap-2">
          <Checkbox id="cal-window" checked={windowOn} onCheckedChange={(v) => setWindowOn(v === true)} />
          <Label htmlFor="cal-window">Only run inside active hours ({tz})</Label>
        </div>
        {windowOn && (
          <div className="flex flex-col gap-3 pl-6">
            <div className="flex flex-wrap gap-3" role="group" aria-label="Active days">
              {DAYS.map(([d, label]) => (
                <label key={d} className="flex items-center gap-1.5">
                  <Checkbox
                    checked={days.includes(d)}
                    aria-label={label}
                    onCheckedChange={(v) => setDays((cur) => (v === true ? [...cur, d].sort() : cur.filter((x) => x !== d)))}
                  />
                  {label}
                </label>
              ))}
            </div>
            <div className="flex flex-wrap items-end gap-3">
              <div className="flex flex-col gap-1">
                <Label htmlFor="cal-start">From</Label>
                <Input id="cal-start" type="time" value={start} onChange={(e) => setStart(e.target.value)} className="w-32" />
              </div>
              <div className="flex flex-col gap-1">
                <Label htmlFor="cal-end">Until</Label>
                <Input id="cal-end" type="time" value={end} onChange={(e) => setEnd(e.target.value)} className="w-32" />
              </div>
              <div className="flex min-w-56 flex-1 flex-col gap-1">
                <Label htmlFor="cal-policy">Outside these hours</Label>
                <NativeSelect id="cal-policy" value={policy} onChange={(e) => setPolicy(e.target.value as WindowPolicy)} wrapperClassName="w-full">
                  <option value="skip">Skip the occurrence</option>
                  <option value="defer">Run it when the window opens</option>
                </NativeSelect>
              </div>
            </div>
            <p className="text-muted-foreground text-xs">An end before the start spans midnight (e.g. 22:00–06:00).</p>
          </div>
        )}
      </fieldset>

      <div className="flex flex-col gap-2" data-testid="calendar-exclusions">
        <Label htmlFor="cal-date">Skip these dates ({tz})</Label>
        <div className="flex flex-wrap gap-2">
          <Input id="cal-date" type="date" value={newDate} onChange={(e) => setNewDate(e.target.value)} className="w-44" />
          <Button
            type="button"
            variant="outline"
            size="sm"
            className="h-9"
            disabled={!newDate || dates.length >= CALENDAR_LIMITS.excludeDatesMax}
            onClick={() => {
              setDates((d) => [...new Set([...d, newDate])].sort());
              setNewDate("");
            }}
          >
            Add date
          </Button>
        </div>
        {dates.length > 0 && (
          <ul className="flex flex-wrap gap-1.5">
            {dates.map((d) => (
              <li key={d} className="bg-muted flex items-center gap-1 rounded-md px-2 py-0.5 text-xs">
                {d}
                <button type="button" aria-label={`Remove ${d}`} className="hover:text-destructive" onClick={() => setDates((cur) => cur.filter((x) => x !== d))}>
                  <X className="size-3" />
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>

      <div className="flex flex-col gap-1">
        <Label htmlFor="cal-jitter">Jitter (seconds)</Label>
        <Input id="cal-jitter" type="number" min={0} max={CALENDAR_LIMITS.jitterSecMax} value={jitter} onChange={(e) => setJitter(e.target.value)} className="w-32" />
        <p className="text-muted-foreground text-xs">Each run starts up to this much later — the same delay for an occurrence every time, never past the next one. Spreads schedules that share a minute.</p>
      </div>

      <div>
        <Button type="button" size="sm" onClick={saveCalendar} disabled={busy} data-testid="calendar-save">
          {patch.isPending ? "Saving…" : "Save calendar"}
        </Button>
      </div>

      <div className="border-t pt-4 flex flex-col gap-4">
        <div className="flex flex-col gap-1">
          <Label htmlFor="cal-pause">Pause until (your time)</Label>
          <div className="flex flex-wrap gap-2">
            <Input id="cal-pause" type="datetime-local" value={pauseUntil} onChange={(e) => setPauseUntil(e.target.value)} className="w-56" />
            <Button type="button" variant="outline" size="sm" className="h-9" disabled={!pauseUntil || busy} onClick={() => patch.mutate({ pausedUntil: localToIso(pauseUntil) })}>
              Pause until
            </Button>
          </div>
          {schedule.pausedUntil && (
            <p className="text-xs" data-testid="calendar-paused-until">
              Paused until {formatDateTime(schedule.pausedUntil, tz)}; it resumes by itself then.
            </p>
          )}
        </div>

        <div className="flex flex-wrap items-center gap-2">
          <Button type="button" variant="outline" size="sm" disabled={schedule.status !== "active" || !schedule.nextFireAt || busy} onClick={() => skipNext.mutate()} data-testid="calendar-skip-next">
            Skip next run
          </Button>
          <span className="text-muted-foreground text-xs">{schedule.nextFireAt ? `Next: ${formatDateTime(schedule.nextFireAt, tz)}` : "No next run"}</span>
        </div>

        <div className="flex flex-col gap-1">
          <Label htmlFor="cal-once">Run once at</Label>
          <div className="flex flex-wrap gap-2">
            <Input id="cal-once" placeholder="tomorrow at 9:00, in 2 hours, 2026-12-24T09:00" value={runOnce} onChange={(e) => setRunOnce(e.target.value)} className="min-w-56 flex-1" maxLength={200} />
            <Button type="button" variant="outline" size="sm" className="h-9" disabled={!runOnce.trim() || busy} onClick={() => patch.mutate({ runOnceAt: runOnce })}>
              Make one-shot
            </Button>
          </div>
          <p className="text-muted-foreground text-xs">Replaces the cron: the schedule fires once at that time ({tz}) and then completes.</p>
        </div>

        <fieldset className="flex flex-col gap-2" data-testid="calendar-backfill">
          <legend className="mb-1 flex items-center gap-1 font-medium">
            <CalendarClock className="size-4" aria-hidden /> Backfill past runs
          </legend>
          <div className="flex flex-wrap items-end gap-2">
            <div className="flex flex-col gap-1">
              <Label htmlFor="cal-from">From (your time)</Label>
              <Input id="cal-from" type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} className="w-56" />
            </div>
            <div className="flex flex-col gap-1">
              <Label htmlFor="cal-to">To</Label>
              <Input id="cal-to" type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} className="w-56" />
            </div>
            <div className="flex flex-col gap-1">
              <Label htmlFor="cal-max">At most</Label>
              <Input id="cal-max" type="number" min={1} max={CALENDAR_LIMITS.backfillMaxCount} value={maxCount} onChange={(e) => setMaxCount(e.target.value)} className="w-24" />
            </div>
            <Button type="button" variant="outline" size="sm" className="h-9" disabled={!from || !to || busy} onClick={() => backfill.mutate()}>
              Backfill
            </Button>
          </div>
          <p className="text-muted-foreground text-xs">Queues each occurrence in the range that has no run yet, with its original time, behind the cap. Shown as “backfill” in history.</p>
        </fieldset>
      </div>

      {error && (
        <p role="alert" className="text-destructive text-sm" data-testid="calendar-error">
          {error}
        </p>
      )}
    </div>
  );
}
