import { ScheduleList } from "@/components/schedules/schedule-list";

export default function SchedulesPage() {
  return (
    <div className="flex flex-col gap-4">
      <h1 className="text-2xl font-semibold">Schedules</h1>
      <ScheduleList />
    </div>
  );
}
