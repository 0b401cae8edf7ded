CREATE TABLE `concurrency_groups` (
	`name` text PRIMARY KEY NOT NULL,
	`max_concurrent` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `schedules` ADD `concurrency_group` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `concurrency_group` text;