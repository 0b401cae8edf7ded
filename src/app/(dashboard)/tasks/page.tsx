import { Suspense } from "react";
import { TaskList } from "@/components/tasks/task-list";

export default function TasksPage() {
  return (
    <Suspense fallback={<h1 className="text-2xl font-semibold">Tasks</h1>}>
      <TaskList />
    </Suspense>
  );
}
