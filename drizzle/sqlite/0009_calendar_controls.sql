ALTER TABLE `schedules` ADD `jitter_sec` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `schedules` ADD `active_window` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `exclude_dates` text;--> statement-breakpoint
ALTER TABLE `schedules` ADD `paused_until` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `backfill` integer DEFAULT false NOT NULL;