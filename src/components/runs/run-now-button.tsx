"use client";

import { Play } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { ScheduleDto } from "@/lib/ui/types";
import { useCapacityRun } from "./use-capacity-run";

/** "Run now" for an active schedule (hidden for paused, completed or expired ones). */
export function RunNowButton({ schedule, size = "sm" }: { schedule: Pick<ScheduleDto, "id" | "status">; size?: "sm" | "default" }) {
  const { start, pending, dialog } = useCapacityRun({ path: `/api/schedules/${schedule.id}/execute`, label: "Run now" });
  if (schedule.status !== "active") return null;
  return (
    <>
      <Button variant="outline" size={size} onClick={start} disabled={pending} aria-busy={pending}>
        <Play />
        {pending ? "Starting…" : "Run now"}
      </Button>
      {dialog}
    </>
  );
}
