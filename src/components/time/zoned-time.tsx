"use client";

import { formatDateTime } from "@/lib/ui/format";
import { viewerTimezone } from "@/lib/ui/timezones";
import { useEffect, useState } from "react";

/**
 * The viewer's IANA zone, read after mount (the server renders without one, so the
 * first client render matches it; then the viewer's zone fills in).
 */
export function useViewerTimezone(): string | null {
  const [tz, setTz] = useState<string | null>(null);
  useEffect(() => setTz(viewerTimezone()), []);
  return tz;
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
