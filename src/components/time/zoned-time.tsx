"use client";

import { formatDateTime } from "@/lib/ui/format";
import { viewerTimezone } from "@/lib/ui/timezones";
import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * The viewer's IANA zone; null while server-rendering (the server doesn't know it), so
 * hydration matches and the viewer's zone fills in on the client.
 */
export function useViewerTimezone(): string | null {
  return useSyncExternalStore(noSubscription, viewerTimezone, () => null);
}

/**
 * An instant shown in `timeZone` with its zone label, and, when the viewer's own zone
 * differs, the same instant in the viewer's zone beside it ("yours"). For schedule previews
 * and next-fire lists, where the schedule's zone and the viewer's can both matter.
 */
export function ZonedTime({ iso, timeZone, className }: { iso: string; timeZone: string; className?: string }) {
  const viewer = useViewerTimezone();
  const there = formatDateTime(iso, timeZone);
  const here = viewer && viewer !== timeZone ? formatDateTime(iso, viewer) : null;
  return (
    <span className={className} data-testid="zoned-time">
      <time dateTime={iso} title={timeZone}>
        {there}
      </time>
      {here && (
        <span className="text-muted-foreground block text-xs" data-testid="viewer-time" title={`Your timezone: ${viewer}`}>
          {here} (yours)
        </span>
      )}
    </span>
  );
}
