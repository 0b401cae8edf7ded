"use client";

import { AlertTriangle } from "lucide-react";
import { useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import type { CollisionWarning } from "@/lib/ui/types";

/** The jitter the banner's "Spread" saves: starts fan out over 5 minutes (bounded by the schedule's own spacing, ADR 0015). */
export const SPREAD_JITTER_SEC = 300;

export const minuteLabel = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/**
 * The amber "overlap" banner a save answers with. It takes focus and scrolls into view
 * when it appears (the save button is at the bottom of the sheet, the banner at the top).
 */
export function CollisionBanner({
  warning,
  timezone,
  pending,
  onKeep,
  onEditTime,
  onUseSuggestion,
  onUseJitter,
}: {
  warning: CollisionWarning;
  timezone: string;
  pending: boolean;
  onKeep: () => void;
  onEditTime: () => void;
  onUseSuggestion: (cronExpression: string) => void;
  /** "Spread": save a jitter (seconds) so the overlapping starts fan out (calendar controls). */
  onUseJitter?: (jitterSec: number) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: "start" });
    ref.current?.focus();
  }, [warning]);
  return (
    <div
      ref={ref}
      tabIndex={-1}
      role="alert"
      data-testid="collision-banner"
      className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 outline-none focus-visible:ring-2 focus-visible:ring-amber-500 scroll-mt-4"
    >
      <div className="flex items-start gap-2">
        <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
        <div className="flex flex-col gap-1">
          <p className="font-medium">
            Overlap with {warning.overlappingSchedules.join(", ")}, combined ~{warning.estimatedConcurrentSteps} agent turns; they will compete for slots.
          </p>
          <p className="text-xs">
            Saved. Crowded at {warning.overlappingMinutes.slice(0, 6).map(minuteLabel).join(", ")}
            {warning.overlappingMinutes.length > 6 ? ` and ${warning.overlappingMinutes.length - 6} more` : ""} ({timezone}).
            {warning.suggestedMinute != null && ` ${minuteLabel(warning.suggestedMinute)} is free.`}
            {onUseJitter && " Spread them: stagger this one to a free minute, or add a jitter so starts fan out."}
          </p>
        </div>
      </div>
      <div className="mt-3 flex flex-wrap gap-2">
        <Button type="button" size="sm" onClick={onKeep} disabled={pending}>
          Keep
        </Button>
        <Button type="button" size="sm" variant="outline" onClick={onEditTime} disabled={pending}>
          Edit time
        </Button>
        {warning.suggestedCronExpression && warning.suggestedMinute != null && (
          <Button type="button" size="sm" variant="outline" onClick={() => onUseSuggestion(warning.suggestedCronExpression!)} disabled={pending}>
            {pending ? "Saving…" : `Use ${minuteLabel(warning.suggestedMinute)}`}
          </Button>
        )}
        {onUseJitter && (
          <Button type="button" size="sm" variant="outline" onClick={() => onUseJitter(SPREAD_JITTER_SEC)} disabled={pending} data-testid="collision-spread-jitter">
            Spread: jitter up to {SPREAD_JITTER_SEC / 60} min
          </Button>
        )}
      </div>
    </div>
  );
}
