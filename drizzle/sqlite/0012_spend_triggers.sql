-- Spend rollups and outcome counters (issue 11 items 3 and 6, ADR 0015-spend), maintained in the
-- same transaction as the change to `tasks` (and `events`), like 0006_maintained_counters:
--   schedule_usage_rollups: a finished task's usage (cost, tokens, 1 run, 1 unpriced run when it
--     has tokens but no cost) in its UTC hour, its UTC day and the all-time row, by finished_at;
--     a later change to a finished task's usage or finish moves the totals by the difference.
--     No delete trigger: pruning history does not un-spend money.
--   schedule_outcome_counts: +1 per task entering `failed` (by failure_reason) or `skipped`
--     (by skipped_reason), `missed` (+ data.count of each missed_occurrences event) and
--     `budget_breach` (+1 per budget_exceeded event, by data.scope) — monotonic Prometheus
--     counters, not lowered by pruning.
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 3600000, `finished_at` - `finished_at` % 3600000, sum(coalesce(`cost_usd`, 0)), sum(coalesce(`input_tokens`, 0)), sum(coalesce(`output_tokens`, 0)), count(*),
    sum(CASE WHEN `cost_usd` IS NULL AND coalesce(`input_tokens`, 0) + coalesce(`output_tokens`, 0) > 0 THEN 1 ELSE 0 END)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND (`cost_usd` IS NOT NULL OR `input_tokens` IS NOT NULL OR `output_tokens` IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 86400000, `finished_at` - `finished_at` % 86400000, sum(coalesce(`cost_usd`, 0)), sum(coalesce(`input_tokens`, 0)), sum(coalesce(`output_tokens`, 0)), count(*),
    sum(CASE WHEN `cost_usd` IS NULL AND coalesce(`input_tokens`, 0) + coalesce(`output_tokens`, 0) > 0 THEN 1 ELSE 0 END)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND (`cost_usd` IS NOT NULL OR `input_tokens` IS NOT NULL OR `output_tokens` IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 0, 0, sum(coalesce(`cost_usd`, 0)), sum(coalesce(`input_tokens`, 0)), sum(coalesce(`output_tokens`, 0)), count(*),
    sum(CASE WHEN `cost_usd` IS NULL AND coalesce(`input_tokens`, 0) + coalesce(`output_tokens`, 0) > 0 THEN 1 ELSE 0 END)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND (`cost_usd` IS NOT NULL OR `input_tokens` IS NOT NULL OR `output_tokens` IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
  SELECT `status`, `schedule_id`, coalesce(CASE `status` WHEN 'failed' THEN `failure_reason` ELSE `skipped_reason` END, ''), count(*)
  FROM `tasks` WHERE `status` IN ('failed', 'skipped') AND `schedule_id` IS NOT NULL GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE TRIGGER `tasks_spend_insert` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 3600000, NEW.`finished_at` - NEW.`finished_at` % 3600000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 86400000, NEW.`finished_at` - NEW.`finished_at` % 86400000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 0, 0, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
    SELECT NEW.`status`, NEW.`schedule_id`, coalesce(CASE NEW.`status` WHEN 'failed' THEN NEW.`failure_reason` ELSE NEW.`skipped_reason` END, ''), 1
    WHERE NEW.`status` IN ('failed', 'skipped') AND NEW.`schedule_id` IS NOT NULL
    ON CONFLICT (`metric`, `schedule_id`, `reason`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_spend_update` AFTER UPDATE OF `status`, `finished_at`, `cost_usd`, `input_tokens`, `output_tokens`, `schedule_id` ON `tasks`
  WHEN OLD.`finished_at` IS NOT NULL OR NEW.`finished_at` IS NOT NULL OR OLD.`status` IS NOT NEW.`status` BEGIN
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 3600000, OLD.`finished_at` - OLD.`finished_at` % 3600000, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 86400000, OLD.`finished_at` - OLD.`finished_at` % 86400000, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 0, 0, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 3600000, NEW.`finished_at` - NEW.`finished_at` % 3600000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 86400000, NEW.`finished_at` - NEW.`finished_at` % 86400000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 0, 0, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
    SELECT NEW.`status`, NEW.`schedule_id`, coalesce(CASE NEW.`status` WHEN 'failed' THEN NEW.`failure_reason` ELSE NEW.`skipped_reason` END, ''), 1
    WHERE NEW.`status` IN ('failed', 'skipped') AND NEW.`schedule_id` IS NOT NULL AND OLD.`status` IS NOT NEW.`status`
    ON CONFLICT (`metric`, `schedule_id`, `reason`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
  SELECT CASE `kind` WHEN 'missed_occurrences' THEN 'missed' ELSE 'budget_breach' END, coalesce(`schedule_id`, ''),
    CASE `kind` WHEN 'missed_occurrences' THEN '' ELSE coalesce(json_extract(`data`, '$.scope'), '') END,
    sum(CASE `kind` WHEN 'missed_occurrences' THEN coalesce(json_extract(`data`, '$.count'), 0) ELSE 1 END)
  FROM `events` WHERE `kind` IN ('missed_occurrences', 'budget_exceeded') GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE TRIGGER `events_spend_insert` AFTER INSERT ON `events` WHEN NEW.`kind` IN ('missed_occurrences', 'budget_exceeded') BEGIN
  INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
    SELECT CASE NEW.`kind` WHEN 'missed_occurrences' THEN 'missed' ELSE 'budget_breach' END, coalesce(NEW.`schedule_id`, ''),
      CASE NEW.`kind` WHEN 'missed_occurrences' THEN '' ELSE coalesce(json_extract(NEW.`data`, '$.scope'), '') END,
      CASE NEW.`kind` WHEN 'missed_occurrences' THEN coalesce(json_extract(NEW.`data`, '$.count'), 0) ELSE 1 END
    WHERE true
    ON CONFLICT (`metric`, `schedule_id`, `reason`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;
