/** Display helpers shared by the dashboard pages. */
import type { TaskDto } from "./types";

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "in 5 minutes", "2 hours ago" for an ISO string relative to `now` (ms); "—" for null. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const diffSec = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(diffSec);
  if (abs < 60) return rtf.format(diffSec, "second");
  if (abs < 3600) return rtf.format(Math.round(diffSec / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diffSec / 3600), "hour");
  return rtf.format(Math.round(diffSec / 86400), "day");
}

/** Local date-time for an ISO string in a given IANA timezone; "—" for null. */
export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "medium",
    timeZone,
  }).format(new Date(iso));
}

/** "1m 05s", "850 ms" for a duration in milliseconds; "—" for null. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

/** Duration of a task in ms: finished − started, or running time so far; null before it starts. */
export function taskDurationMs(t: Pick<TaskDto, "startedAt" | "finishedAt">, now = Date.now()): number | null {
  if (!t.startedAt) return null;
  return (t.finishedAt ? Date.parse(t.finishedAt) : now) - Date.parse(t.startedAt);
}

/** Wall-clock time of day ("14:03:27") for an ISO string. */
export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString("en-GB");
}

/** "$0.0123" for a cost in US dollars. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(4)}`;
}
