CREATE TABLE `chat_conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`runtime_id` text,
	`session_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chat_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`role` text NOT NULL,
	`content` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`error` text,
	`runner_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `chat_conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `chat_messages_conversation_idx` ON `chat_messages` (`conversation_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`schedule_id` text,
	`task_id` text,
	`message` text NOT NULL,
	`data` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_schedule_idx` ON `events` (`schedule_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `events_kind_idx` ON `events` (`kind`,`created_at`);--> statement-breakpoint
CREATE TABLE `runners` (
	`id` text PRIMARY KEY NOT NULL,
	`pid` integer NOT NULL,
	`hostname` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`stopped_at` integer
);
--> statement-breakpoint
CREATE TABLE `runtimes` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`is_default` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runtimes_name_unique` ON `runtimes` (`name`);--> statement-breakpoint
CREATE TABLE `schedule_firing_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`schedule_id` text NOT NULL,
	`task_id` text NOT NULL,
	`fired_at` integer NOT NULL,
	`planned_at` integer,
	`slot_claimed_at` integer,
	`completed_at` integer NOT NULL,
	`lateness_ms` integer NOT NULL,
	`slot_wait_ms` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`turn_count` integer NOT NULL,
	`max_turns_at_firing` integer NOT NULL,
	`event_loop_lag_ms` real NOT NULL,
	`peak_rss_mb` real NOT NULL,
	`chat_streams_active` integer NOT NULL,
	`concurrent_schedules` integer NOT NULL,
	`failure_reason` text
);
--> statement-breakpoint
CREATE INDEX `firing_metrics_schedule_idx` ON `schedule_firing_metrics` (`schedule_id`,`fired_at`);--> statement-breakpoint
CREATE INDEX `firing_metrics_fired_idx` ON `schedule_firing_metrics` (`fired_at`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`prompt` text NOT NULL,
	`cron_expression` text NOT NULL,
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
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`runtime_id`) REFERENCES `runtimes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `schedules_due_idx` ON `schedules` (`status`,`next_fire_at`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `task_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` text NOT NULL,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_events_task_idx` ON `task_events` (`task_id`,`id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`schedule_id` text,
	`runtime_id` text,
	`title` text NOT NULL,
	`prompt` text NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`source_type` text NOT NULL,
	`planned_at` integer,
	`attempt` integer DEFAULT 1 NOT NULL,
	`max_attempts` integer DEFAULT 1 NOT NULL,
	`parent_task_id` text,
	`not_before` integer,
	`max_turns` integer NOT NULL,
	`max_run_duration_sec` integer,
	`turn_count` integer DEFAULT 0 NOT NULL,
	`slot_claimed_at` integer,
	`lease_expires_at` integer,
	`heartbeat_at` integer,
	`runner_id` text,
	`started_at` integer,
	`finished_at` integer,
	`failure_reason` text,
	`error` text,
	`result` text,
	`session_id` text,
	`skipped_reason` text,
	`forced` integer DEFAULT false NOT NULL,
	`pressure_held_since` integer,
	`input_tokens` integer,
	`output_tokens` integer,
	`cost_usd` real,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_occurrence_unique` ON `tasks` (`schedule_id`,`planned_at`) WHERE "tasks"."parent_task_id" IS NULL AND "tasks"."planned_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `tasks_status_idx` ON `tasks` (`status`,`planned_at`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_schedule_idx` ON `tasks` (`schedule_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `tasks_parent_idx` ON `tasks` (`parent_task_id`);