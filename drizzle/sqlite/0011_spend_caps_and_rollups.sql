CREATE TABLE `budget_breaches` (
	`key` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`schedule_id` text,
	`cap_usd` real NOT NULL,
	`spent_usd` real NOT NULL,
	`since` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `schedule_outcome_counts` (
	`metric` text NOT NULL,
	`schedule_id` text NOT NULL,
	`reason` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`metric`, `schedule_id`, `reason`)
);
--> statement-breakpoint
CREATE TABLE `schedule_usage_rollups` (
	`schedule_id` text NOT NULL,
	`span_ms` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`runs` integer DEFAULT 0 NOT NULL,
	`unpriced_runs` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`schedule_id`, `span_ms`, `bucket_start`)
);
--> statement-breakpoint
CREATE INDEX `schedule_usage_rollups_span_idx` ON `schedule_usage_rollups` (`span_ms`,`bucket_start`,`schedule_id`);--> statement-breakpoint
ALTER TABLE `schedules` ADD `max_cost_usd_per_run` real;--> statement-breakpoint
ALTER TABLE `schedules` ADD `max_cost_usd_24h` real;--> statement-breakpoint
ALTER TABLE `schedules` ADD `max_cost_usd_7d` real;