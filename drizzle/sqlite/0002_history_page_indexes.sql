DROP INDEX `events_schedule_idx`;--> statement-breakpoint
CREATE INDEX `events_schedule_idx` ON `events` (`schedule_id`,`id`);--> statement-breakpoint
DROP INDEX `tasks_schedule_idx`;--> statement-breakpoint
CREATE INDEX `tasks_created_idx` ON `tasks` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_status_created_idx` ON `tasks` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `tasks_schedule_idx` ON `tasks` (`schedule_id`,`created_at`,`id`);