CREATE TABLE `firing_histograms` (
	`metric` text NOT NULL,
	`le_ms` integer NOT NULL,
	`n` integer NOT NULL,
	`sum_ms` integer NOT NULL,
	PRIMARY KEY(`metric`, `le_ms`)
);
--> statement-breakpoint
CREATE TABLE `schedule_task_counts` (
	`status` text NOT NULL,
	`schedule_id` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`status`, `schedule_id`)
);
--> statement-breakpoint
CREATE TABLE `task_status_counts` (
	`status` text PRIMARY KEY NOT NULL,
	`n` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `task_status_counts` (`status`, `n`) SELECT `status`, count(*) FROM `tasks` GROUP BY `status`;
--> statement-breakpoint
INSERT INTO `schedule_task_counts` (`status`, `schedule_id`, `n`)
  SELECT `status`, `schedule_id`, count(*) FROM `tasks` WHERE `schedule_id` IS NOT NULL GROUP BY `schedule_id`, `status`;
--> statement-breakpoint
WITH `b`(`le`) AS (VALUES (50), (100), (250), (500), (1000), (2500), (5000), (10000), (30000), (60000), (300000), (900000), (9223372036854775807)),
  `m`(`metric`) AS (VALUES ('lateness_ms'), ('slot_wait_ms')),
  `v`(`metric`, `x`) AS (
    SELECT 'lateness_ms', max(`lateness_ms`, 0) FROM `schedule_firing_metrics`
    UNION ALL SELECT 'slot_wait_ms', max(`slot_wait_ms`, 0) FROM `schedule_firing_metrics`),
  `g` AS (SELECT `metric`, (SELECT min(`le`) FROM `b` WHERE `le` >= `x`) AS `bucket`, count(*) AS `n`, sum(`x`) AS `s` FROM `v` GROUP BY 1, 2)
INSERT INTO `firing_histograms` (`metric`, `le_ms`, `n`, `sum_ms`)
  SELECT `m`.`metric`, `b`.`le`, coalesce(sum(`g`.`n`), 0), coalesce(sum(`g`.`s`), 0)
  FROM `m` CROSS JOIN `b` LEFT JOIN `g` ON `g`.`metric` = `m`.`metric` AND `g`.`bucket` <= `b`.`le`
  GROUP BY `m`.`metric`, `b`.`le`;
--> statement-breakpoint
CREATE TRIGGER `tasks_counts_insert` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO `task_status_counts` (`status`, `n`) VALUES (NEW.`status`, 1) ON CONFLICT (`status`) DO UPDATE SET `n` = `n` + 1;
  INSERT INTO `schedule_task_counts` (`status`, `schedule_id`, `n`) SELECT NEW.`status`, NEW.`schedule_id`, 1 WHERE NEW.`schedule_id` IS NOT NULL
    ON CONFLICT (`status`, `schedule_id`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_counts_update` AFTER UPDATE OF `status`, `schedule_id` ON `tasks`
  WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`schedule_id` IS NOT NEW.`schedule_id` BEGIN
  UPDATE `task_status_counts` SET `n` = `n` - 1 WHERE `status` = OLD.`status`;
  UPDATE `schedule_task_counts` SET `n` = `n` - 1 WHERE `status` = OLD.`status` AND `schedule_id` = OLD.`schedule_id`;
  INSERT INTO `task_status_counts` (`status`, `n`) VALUES (NEW.`status`, 1) ON CONFLICT (`status`) DO UPDATE SET `n` = `n` + 1;
  INSERT INTO `schedule_task_counts` (`status`, `schedule_id`, `n`) SELECT NEW.`status`, NEW.`schedule_id`, 1 WHERE NEW.`schedule_id` IS NOT NULL
    ON CONFLICT (`status`, `schedule_id`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_counts_delete` AFTER DELETE ON `tasks` BEGIN
  UPDATE `task_status_counts` SET `n` = `n` - 1 WHERE `status` = OLD.`status`;
  UPDATE `schedule_task_counts` SET `n` = `n` - 1 WHERE `status` = OLD.`status` AND `schedule_id` = OLD.`schedule_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `firing_histograms_insert` AFTER INSERT ON `schedule_firing_metrics` BEGIN
  UPDATE `firing_histograms` SET `n` = `n` + 1, `sum_ms` = `sum_ms` + max(NEW.`lateness_ms`, 0) WHERE `metric` = 'lateness_ms' AND `le_ms` >= max(NEW.`lateness_ms`, 0);
  UPDATE `firing_histograms` SET `n` = `n` + 1, `sum_ms` = `sum_ms` + max(NEW.`slot_wait_ms`, 0) WHERE `metric` = 'slot_wait_ms' AND `le_ms` >= max(NEW.`slot_wait_ms`, 0);
END;
--> statement-breakpoint
CREATE TRIGGER `firing_histograms_update` AFTER UPDATE OF `lateness_ms`, `slot_wait_ms` ON `schedule_firing_metrics` BEGIN
  UPDATE `firing_histograms` SET `n` = `n` - 1, `sum_ms` = `sum_ms` - max(OLD.`lateness_ms`, 0) WHERE `metric` = 'lateness_ms' AND `le_ms` >= max(OLD.`lateness_ms`, 0);
  UPDATE `firing_histograms` SET `n` = `n` - 1, `sum_ms` = `sum_ms` - max(OLD.`slot_wait_ms`, 0) WHERE `metric` = 'slot_wait_ms' AND `le_ms` >= max(OLD.`slot_wait_ms`, 0);
  UPDATE `firing_histograms` SET `n` = `n` + 1, `sum_ms` = `sum_ms` + max(NEW.`lateness_ms`, 0) WHERE `metric` = 'lateness_ms' AND `le_ms` >= max(NEW.`lateness_ms`, 0);
  UPDATE `firing_histograms` SET `n` = `n` + 1, `sum_ms` = `sum_ms` + max(NEW.`slot_wait_ms`, 0) WHERE `metric` = 'slot_wait_ms' AND `le_ms` >= max(NEW.`slot_wait_ms`, 0);
END;
--> statement-breakpoint
CREATE TRIGGER `firing_histograms_delete` AFTER DELETE ON `schedule_firing_metrics` BEGIN
  UPDATE `firing_histograms` SET `n` = `n` - 1, `sum_ms` = `sum_ms` - max(OLD.`lateness_ms`, 0) WHERE `metric` = 'lateness_ms' AND `le_ms` >= max(OLD.`lateness_ms`, 0);
  UPDATE `firing_histograms` SET `n` = `n` - 1, `sum_ms` = `sum_ms` - max(OLD.`slot_wait_ms`, 0) WHERE `metric` = 'slot_wait_ms' AND `le_ms` >= max(OLD.`slot_wait_ms`, 0);
END;

--> statement-breakpoint
DROP INDEX `tasks_schedule_status_idx`;--> statement-breakpoint
CREATE INDEX `tasks_schedule_status_idx` ON `tasks` (`schedule_id`,`status`,`created_at`,`id`);