"use client";

import Link from "next/link";
import type { TaskDetailDto, TaskDto } from "@/lib/ui/types";
import { PromptText } from "./prompt-text";

/** "via fire URL" / "after <upstream task>" in the task header (issue 12 items 1, 7); nothing for other tasks. */
export function TaskTriggerNote({ task }: { task: Pick<TaskDto, "triggerKind" | "triggeredByTaskId"> }) {
  if (task.triggerKind === "hook") return <span data-testid="task-trigger">via fire URL</span>;
  if (task.triggerKind === "dependency" && task.triggeredByTaskId) {
    return (
      <span data-testid="task-trigger">
        after{" "}
        <Link className="underline" href={`/tasks/${task.triggeredByTaskId}`}>
          its upstream run
        </Link>
      </span>
    );
  }
  return null;
}

/**
 * The task's prompt: as sent (prompt variables filled in, `renderedPrompt`) once the run has
 * started, with the stored template below when the two differ (issue 12 item 6).
 */
export function TaskPrompt({ detail }: { detail: Pick<TaskDetailDto, "prompt" | "renderedPrompt"> }) {
  const { prompt, renderedPrompt } = detail;
  if (renderedPrompt === null || renderedPrompt === prompt) return <PromptText text={prompt} />;
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-col gap-1">
        <div className="text-muted-foreground text-xs">As sent (variables filled in)</div>
        <div data-testid="rendered-prompt">
          <PromptText text={renderedPrompt} />
        </div>
      </div>
      <div className="flex flex-col gap-1">
        <div className="text-muted-foreground text-xs">Template</div>
        <div data-testid="prompt-template">
          <PromptText text={prompt} />
        </div>
      </div>
    </div>
  );
}
