ALTER TABLE `runners` ADD `host_key` text;--> statement-breakpoint
ALTER TABLE `runners` ADD `process_start_time` integer;--> statement-breakpoint
ALTER TABLE `tasks` ADD `agent_process_groups` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `agent_host` text;--> statement-breakpoint
CREATE INDEX `tasks_agent_processes_idx` ON `tasks` (`runner_id`) WHERE "tasks"."agent_process_groups" IS NOT NULL;