ALTER TABLE `runners` ADD `capacity` integer;--> statement-breakpoint
ALTER TABLE `runners` ADD `kind` text DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE `runners` ADD `labels` text DEFAULT '[]' NOT NULL;