/** API response shapes as the browser sees them (API.md); inferred from the serializers. */
export type { ScheduleDto } from "@/lib/api-types";
export type { ScheduleListItemDto } from "@/lib/schedules/list";
export type { LastRunDto } from "@/lib/tasks/queries";
export type {
  CollisionWarning,
  ConversationDto,
  EventDto,
  FiringMetricDto,
  MessageDto,
  RunnerDto,
  RuntimeDto,
  SchedulerStatusDto,
  TaskDto,
  TaskEventDto,
} from "@/lib/api-types";
export type { TurnCalibration } from "@/lib/schedules/calibration";
export type { SettingsView } from "@/lib/config/settings";

/** POST /api/runtimes/:id/test answer (the runtimes service defines it). */
export type { RuntimeTestDto as RuntimeTestResult } from "@/lib/api-types";
export type { QueueDto, TaskDetailDto } from "@/lib/tasks/detail";
