"use client";

import { Play } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { ScheduleDto } from "@/lib/ui/types";
import { useCapacityRun } from "./use-capacity-run";

/**
 * "Run now" for an active schedule; for a paused one, "Run once" (POST
 * …/execute?whilePaused=true: one run to test a fix, the schedule stays paused).
 * Hidden for completed or expired schedules.
 */
export function RunNowButton({ schedule, size = "sm" }: { schedule: Pick<ScheduleDto, "id" | "status">; size?: "sm" | "default" }) {
  const paused = schedule.status === "paused";
  const { start, pending, dialog } = useCapacityRun({
    path: `/api/schedules/${schedule.id}/execute${paused ? "?whilePaused=true" : ""}`,
    label: paused ? "Run once" : "Run now",
  });
  if (schedule.status !== "active" && !paused) return null;
  return (
    <>
      <Button
        variant="outline"
        size={size}
        onClick={start}
        disabled={pending}
        aria-busy={pending}
        title={paused ? "Runs it once now to test a fix; the schedule stays paused." : undefined}
      >
        <Play />
        {pending ? "Starting…" : paused ? "Run once" : "Run now"}
      </Button>
      {dialog}
    </>
  );
}
