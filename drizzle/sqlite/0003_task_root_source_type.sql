ALTER TABLE `tasks` ADD `root_source_type` text DEFAULT 'scheduled' NOT NULL;
--> statement-breakpoint
UPDATE `tasks` SET `root_source_type` = 'manual' WHERE `source_type` = 'manual';--> statement-breakpoint
UPDATE `tasks` SET `root_source_type` = 'manual' WHERE `id` IN (
  WITH RECURSIVE `chain`(`task_id`, `parent_id`, `source_type`) AS (
    SELECT `id`, `parent_task_id`, `source_type` FROM `tasks` WHERE `source_type` = 'retry'
    UNION ALL
    SELECT `chain`.`task_id`, `p`.`parent_task_id`, `p`.`source_type` FROM `chain` JOIN `tasks` AS `p` ON `p`.`id` = `chain`.`parent_id` WHERE `chain`.`source_type` = 'retry'
  )
  SELECT `task_id` FROM `chain` WHERE `source_type` = 'manual'
);
