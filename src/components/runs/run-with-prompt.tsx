"use client";

import { MessageSquareText } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Label } from "@/components/ui/label";
import { Textarea } from "@/components/ui/textarea";
import { promptVariablesProblem } from "@/lib/triggers/prompt-variables";
import type { ScheduleDto } from "@/lib/ui/types";
import { useCapacityRun } from "./use-capacity-run";

/**
 * "Run with prompt…" (issue 12 item 1): Run now once with a different prompt (POST
 * …/execute with `{prompt}`), through the same capacity handling as Run now (429 → the
 * "At capacity" dialog with Queue it / Run anyway). The schedule keeps its own prompt.
 * Shown for active schedules.
 */
export function RunWithPromptButton({ schedule }: { schedule: Pick<ScheduleDto, "id" | "status" | "prompt"> }) {
  const [open, setOpen] = useState(false);
  const [prompt, setPrompt] = useState(schedule.prompt);
  const problem = prompt.trim() === "" ? "The prompt must not be empty." : promptVariablesProblem(prompt) && `The prompt ${promptVariablesProblem(prompt)}.`;
  const { start, pending, dialog } = useCapacityRun({ path: `/api/schedules/${schedule.id}/execute`, label: "Run with prompt", json: { prompt } });
  if (schedule.status !== "active") return null;
  return (
    <>
      <Button
        variant="outline"
        onClick={() => {
          setPrompt(schedule.prompt);
          setOpen(true);
        }}
        data-testid="run-with-prompt"
      >
        <MessageSquareText />
        Run with prompt…
      </Button>
      <Dialog open={open} onOpenChange={setOpen}>
        <DialogContent data-testid="run-with-prompt-dialog">
          <form
            className="flex flex-col gap-4"
            onSubmit={(e) => {
              e.preventDefault();
              if (problem) return;
              setOpen(false);
              start();
            }}
          >
            <DialogHeader>
              <DialogTitle>Run once with another prompt</DialogTitle>
              <DialogDescription>This run only; the schedule keeps its prompt. Prompt variables such as {"{{date}}"} work here too.</DialogDescription>
            </DialogHeader>
            <div className="flex flex-col gap-2">
              <Label htmlFor="run-prompt">Prompt</Label>
              <Textarea id="run-prompt" rows={6} value={prompt} onChange={(e) => setPrompt(e.target.value)} aria-invalid={!!problem} aria-describedby="run-prompt-problem" />
              {problem && (
                <p id="run-prompt-problem" role="alert" className="text-destructive text-sm">
                  {problem}
                </p>
              )}
            </div>
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={!!problem || pending}>
                {pending ? "Starting…" : "Run now"}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
      {dialog}
    </>
  );
}
