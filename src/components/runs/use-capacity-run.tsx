"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { toast } from "sonner";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { ApiError, apiFetch } from "@/lib/ui/api-client";
import { fetchers, queryKeys } from "@/lib/ui/queries";

interface CapacityState {
  etaSec: number | null;
  running: number | null;
  cap: number | null;
  message: string;
}

/**
 * Starts a run through an endpoint that honours the cap (Run now: POST
 * /api/schedules/:id/execute; Rerun: POST /api/tasks/:id/rerun). On 429
 * `capacity_full` it opens the "At capacity (R/C). Next slot in ~N s" dialog, whose
 * "Run anyway" repeats the request with `?force=true` (audited server-side) and whose
 * "Queue it" repeats it with `?queue=true` (the task waits for the next free slot).
 * A click while a request is in flight is ignored, so one click never makes two tasks.
 */
export function useCapacityRun({ path, label, json }: { path: string; label: string; /** A JSON body sent with every attempt (Run now's `{prompt}`). */ json?: unknown }) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const inFlight = useRef(false);
  const [capacity, setCapacity] = useState<CapacityState | null>(null);

  type Mode = "normal" | "force" | "queue";
  const mutation = useMutation({
    mutationFn: (mode: Mode) => {
      const flag = mode === "force" ? "force=true" : mode === "queue" ? "queue=true" : "";
      return apiFetch<{ taskId: string; forced?: boolean; queued?: boolean }>(flag ? `${path}${path.includes("?") ? "&" : "?"}${flag}` : path, { method: "POST", json });
    },
    onSuccess: (data, mode) => {
      setCapacity(null);
      const message = data.queued
        ? `${label}: queued; it starts when a slot frees`
        : (data.forced ?? mode === "force")
          ? `${label}: started above the cap`
          : `${label}: started`;
      toast.success(message, { action: { label: "Open", onClick: () => router.push(`/tasks/${data.taskId}`) } });
    },
    onError: async (err) => {
      if (err instanceof ApiError && err.status === 429) {
        const eta = typeof err.body?.slotEtaSec === "number" ? (err.body.slotEtaSec as number) : null;
        const status = await fetchers.schedulerStatus().catch(() => null);
        setCapacity({ etaSec: eta, running: status?.running ?? null, cap: status?.maxConcurrent ?? null, message: err.message });
        return;
      }
      setCapacity(null);
      toast.error(`${label} failed: ${err.message}`);
    },
    onSettled: () => {
      inFlight.current = false;
      void queryClient.invalidateQueries({ queryKey: ["tasks"] });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      void queryClient.invalidateQueries({ queryKey: queryKeys.schedulerStatus });
    },
  });

  const start = (mode: Mode = "normal") => {
    if (inFlight.current) return;
    inFlight.current = true;
    mutation.mutate(mode);
  };

  const dialog = (
    <AlertDialog open={capacity !== null} onOpenChange={(open) => !open && setCapacity(null)}>
      <AlertDialogContent data-testid="capacity-dialog">
        <AlertDialogHeader>
          <AlertDialogTitle>
            At capacity{capacity?.running != null && capacity.cap != null ? ` (${capacity.running}/${capacity.cap})` : ""}.{" "}
            {capacity?.etaSec != null ? `Next slot in ~${capacity.etaSec} s` : "No slot estimate yet"}
          </AlertDialogTitle>
          <AlertDialogDescription>
            Every slot is taken. &ldquo;Queue it&rdquo; starts this run when a slot frees; &ldquo;Run anyway&rdquo; starts it above the cap
            now and records a forced-run event; &ldquo;Cancel&rdquo; starts nothing.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel disabled={mutation.isPending}>Cancel</AlertDialogCancel>
          <Button variant="outline" onClick={() => start("queue")} disabled={mutation.isPending}>
            {mutation.isPending && mutation.variables === "queue" ? "Queueing…" : "Queue it"}
          </Button>
          <Button onClick={() => start("force")} disabled={mutation.isPending}>
            {mutation.isPending && mutation.variables === "force" ? "Starting…" : "Run anyway"}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );

  return { start: () => start("normal"), pending: mutation.isPending, dialog };
}
