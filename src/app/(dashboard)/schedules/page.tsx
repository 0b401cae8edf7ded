import { ScheduleList } from "@/components/schedules/schedule-list";

export default function SchedulesPage() {
  return <ScheduleList />;
}
