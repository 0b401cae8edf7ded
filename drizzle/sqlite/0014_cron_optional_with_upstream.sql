PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`prompt` text NOT NULL,
	`cron_expression` text,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`runtime_id` text,
	`status` text DEFAULT 'active' NOT NULL,
	`paused_reason` text,
	`max_turns` integer,
	`max_turns_set_at` integer,
	`max_run_duration_sec` integer,
	`max_attempts` integer DEFAULT 3 NOT NULL,
	`overlap_policy` text DEFAULT 'skip' NOT NULL,
	`catch_up_policy` text DEFAULT 'latest' NOT NULL,
	`catch_up_window_sec` integer DEFAULT 3600 NOT NULL,
	`max_firings` integer,
	`expires_at` integer,
	`firing_count` integer DEFAULT 0 NOT NULL,
	`next_fire_at` integer,
	`last_planned_at` integer,
	`last_fired_at` integer,
	`avg_turns_per_firing` real,
	`last_turn_count` integer,
	`failure_streak` integer DEFAULT 0 NOT NULL,
	`turn_budget_breach_streak` integer DEFAULT 0 NOT NULL,
	`last_failure_reason` text,
	`hook_token_hash` text,
	`hook_token_created_at` integer,
	`depends_on_schedule_id` text,
	`depends_on_since` integer,
	`jitter_sec` integer DEFAULT 0 NOT NULL,
	`active_window` text,
	`exclude_dates` text,
	`paused_until` integer,
	`concurrency_group` text,
	`max_cost_usd_per_run` real,
	`max_cost_usd_24h` real,
	`max_cost_usd_7d` real,
	`notification_channel_ids` text,
	`notify_on` text,
	`quiet_result_marker` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`runtime_id`) REFERENCES `runtimes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_schedules`("id", "name", "prompt", "cron_expression", "timezone", "runtime_id", "status", "paused_reason", "max_turns", "max_turns_set_at", "max_run_duration_sec", "max_attempts", "overlap_policy", "catch_up_policy", "catch_up_window_sec", "max_firings", "expires_at", "firing_count", "next_fire_at", "last_planned_at", "last_fired_at", "avg_turns_per_firing", "last_turn_count", "failure_streak", "turn_budget_breach_streak", "last_failure_reason", "hook_token_hash", "hook_token_created_at", "depends_on_schedule_id", "depends_on_since", "jitter_sec", "active_window", "exclude_dates", "paused_until", "concurrency_group", "max_cost_usd_per_run", "max_cost_usd_24h", "max_cost_usd_7d", "notification_channel_ids", "notify_on", "quiet_result_marker", "created_at", "updated_at") SELECT "id", "name", "prompt", "cron_expression", "timezone", "runtime_id", "status", "paused_reason", "max_turns", "max_turns_set_at", "max_run_duration_sec", "max_attempts", "overlap_policy", "catch_up_policy", "catch_up_window_sec", "max_firings", "expires_at", "firing_count", "next_fire_at", "last_planned_at", "last_fired_at", "avg_turns_per_firing", "last_turn_count", "failure_streak", "turn_budget_breach_streak", "last_failure_reason", "hook_token_hash", "hook_token_created_at", "depends_on_schedule_id", "depends_on_since", "jitter_sec", "active_window", "exclude_dates", "paused_until", "concurrency_group", "max_cost_usd_per_run", "max_cost_usd_24h", "max_cost_usd_7d", "notification_channel_ids", "notify_on", "quiet_result_marker", "created_at", "updated_at" FROM `schedules`;--> statement-breakpoint
DROP TABLE `schedules`;--> statement-breakpoint
ALTER TABLE `__new_schedules` RENAME TO `schedules`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `schedules_due_idx` ON `schedules` (`status`,`next_fire_at`);--> statement-breakpoint
CREATE INDEX `schedules_depends_on_idx` ON `schedules` (`depends_on_schedule_id`);