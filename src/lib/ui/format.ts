/** Display helpers shared by the dashboard pages. */
import type { TaskDto } from "./types";

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/**
 * "in 5 minutes", "2 hours ago" for an ISO string relative to `now` (ms); "—" for null.
 * `past: true` is for instants that already happened (created, updated, finished): a
 * browser clock behind the server's would otherwise say "in 10 seconds"; it says "now".
 */
export function relativeTime(iso: string | null | undefined, now: number = Date.now(), { past = false }: { past?: boolean } = {}): string {
  if (!iso) return "—";
  let diffSec = Math.round((Date.parse(iso) - now) / 1000);
  if (past && diffSec > 0) diffSec = 0;
  const abs = Math.abs(diffSec);
  if (abs < 60) return rtf.format(diffSec, "second");
  if (abs < 3600) return rtf.format(Math.round(diffSec / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diffSec / 3600), "hour");
  return rtf.format(Math.round(diffSec / 86400), "day");
}

/**
 * Date-time for an ISO string in a given IANA timezone (the viewer's when omitted), always
 * with its zone: "2 Dec 2026, 14:14:43 GMT+5:30", "2 Dec 2026, 09:44:43 CET"; "—" for null.
 */
export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "—";
  return new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "long",
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

/** Time of day with its zone ("14:03:27 UTC") for an ISO string, in `timeZone` (the viewer's when omitted). */
export function formatTime(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeStyle: "long", timeZone }).format(new Date(iso));
}

/** Time of day without the zone ("14:03"), for dense axes whose caption names the zone. */
export function formatClock(iso: string, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(iso));
}

/** The short name of a zone as shown next to times ("UTC", "CET", "GMT+5:30"), at instant `at` (ms). */
export function zoneAbbreviation(timeZone?: string, at: number = Date.now()): string {
  return new Intl.DateTimeFormat("en-GB", { timeZoneName: "short", timeZone }).formatToParts(new Date(at)).find((p) => p.type === "timeZoneName")?.value ?? "";
}

/** "$0.0123" for a cost in US dollars. */
export function formatCost(usd: number): string {
  return `$${usd.toFixed(4)}`;
}
