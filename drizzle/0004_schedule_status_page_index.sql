DROP INDEX `tasks_schedule_status_idx`;--> statement-breakpoint
CREATE INDEX `tasks_schedule_status_idx` ON `tasks` (`schedule_id`,`status`,`created_at`,`id`);