/** API response shapes as the browser sees them (API.md); inferred from the serializers. */
export type { ScheduleDto } from "@/lib/schedules/service";
