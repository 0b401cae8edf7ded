/**
 * TanStack Query keys and fetchers shared by the dashboard pages, so a mutation on
 * one page invalidates what the others show.
 */
import { TERMINAL_TASK_STATUSES } from "@/lib/db/constants";
import { apiFetch } from "./api-client";
import type { ConversationDto, EventDto, MessageDto, RunnerDto, RuntimeDto, ScheduleDto, ScheduleListItemDto, SchedulerStatusDto, SettingsView, TaskDetailDto } from "./types";

export const queryKeys = {
  schedules: ["schedules"] as const,
  schedule: (id: string) => ["schedules", id] as const,
  scheduleTasks: (id: string) => ["schedules", id, "tasks"] as const,
  scheduleEvents: (id: string) => ["schedules", id, "events"] as const,
  runtimes: ["runtimes"] as const,
  runners: ["runners"] as const,
  schedulerStatus: ["scheduler-status"] as const,
  tasks: (filters: Record<string, string | undefined> = {}) => ["tasks", filters] as const,
  task: (id: string) => ["task", id] as const,
  settings: ["settings"] as const,
  conversations: ["chat", "conversations"] as const,
  messages: (conversationId: string) => ["chat", "messages", conversationId] as const,
};

export interface Page<T> {
  tasks: T[];
  nextCursor: string | null;
}

export const fetchers = {
  schedules: () => apiFetch<{ schedules: ScheduleListItemDto[] }>("/api/schedules"),
  schedule: (id: string) => apiFetch<{ schedule: ScheduleDto }>(`/api/schedules/${encodeURIComponent(id)}`),
  scheduleEvents: (id: string) => apiFetch<{ events: EventDto[] }>(`/api/schedules/${encodeURIComponent(id)}/events`),
  runtimes: () => apiFetch<{ runtimes: RuntimeDto[] }>("/api/runtimes"),
  runners: () => apiFetch<{ runners: RunnerDto[] }>("/api/runners"),
  schedulerStatus: () => apiFetch<SchedulerStatusDto>("/api/scheduler/status"),
  task: (id: string) => apiFetch<TaskDetailDto>(`/api/tasks/${encodeURIComponent(id)}`),
  settings: () => apiFetch<SettingsView>("/api/settings"),
  conversations: () => apiFetch<{ conversations: ConversationDto[] }>("/api/chat/conversations"),
  messages: (conversationId: string) =>
    apiFetch<{ messages: MessageDto[] }>(`/api/chat/conversations/${encodeURIComponent(conversationId)}/messages`),
};

/** Query string from the defined entries of `params`. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") sp.set(k, String(v));
  const s = sp.toString();
  return s ? `?${s}` : "";
}

/** Task statuses a task never leaves (polling stops there). */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(TERMINAL_TASK_STATUSES);
