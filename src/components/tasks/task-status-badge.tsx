import { Badge } from "@/components/ui/badge";
import type { TaskDto } from "@/lib/ui/types";
import { taskStatusWords } from "@/lib/ui/words";

const VARIANT = {
  queued: "secondary",
  running: "default",
  completed: "success",
  failed: "destructive",
  cancelled: "outline",
  skipped: "outline",
} as const;

/** A task's status, plus a "forced" badge for runs started above the cap. */
export function TaskStatusBadge({ task }: { task: Pick<TaskDto, "status" | "forced"> }) {
  return (
    <span className="inline-flex items-center gap-1">
      <Badge variant={VARIANT[task.status]} className={task.status === "running" ? "bg-sky-600 text-white" : undefined} data-testid="task-status" title={taskStatusWords(task.status).detail}>
        {task.status}
      </Badge>
      {task.forced && (
        <Badge variant="warning" title="Started above the concurrency cap (Run anyway)">
          forced
        </Badge>
      )}
    </span>
  );
}
