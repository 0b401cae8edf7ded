CREATE TABLE `hook_idempotency_keys` (
	`schedule_id` text NOT NULL,
	`key` text NOT NULL,
	`task_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`schedule_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `hook_idempotency_created_idx` ON `hook_idempotency_keys` (`created_at`);--> statement-breakpoint
ALTER TABLE `schedules` ADD `hook_token_hash` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `hook_token_created_at` integer;--> statement-breakpoint
ALTER TABLE `schedules` ADD `depends_on_schedule_id` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `depends_on_since` integer;--> statement-breakpoint
CREATE INDEX `schedules_depends_on_idx` ON `schedules` (`depends_on_schedule_id`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `trigger_kind` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `trigger_body` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `triggered_by_task_id` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `rendered_prompt` text;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_triggered_by_unique` ON `tasks` (`schedule_id`,`triggered_by_task_id`) WHERE "tasks"."parent_task_id" IS NULL AND "tasks"."triggered_by_task_id" IS NOT NULL;