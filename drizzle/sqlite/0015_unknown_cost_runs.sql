-- Runs that report no usage at all count as runs of unknown cost (ADR 0020 amended; issue 11
-- "unknown shown as such rather than $0"). Until now the spend rollups only counted a finished
-- task that had a cost or tokens, so a schedule whose only run was a failed command run with no
-- model had no rollup row and its totals read $0. Now a finished task that STARTED counts as a
-- run, and as an unpriced one when it has no cost and either tokens or no usage at all. Tasks
-- that never started (skipped firings, cancelled while queued) still add nothing.
-- The triggers of 0012 are recreated with that predicate (and `started_at` joins the update
-- trigger's columns, so the old/new difference stays exact); the existing history is backfilled.
DROP TRIGGER `tasks_spend_insert`;
--> statement-breakpoint
DROP TRIGGER `tasks_spend_update`;
--> statement-breakpoint
CREATE TRIGGER `tasks_spend_insert` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 3600000, NEW.`finished_at` - NEW.`finished_at` % 3600000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 86400000, NEW.`finished_at` - NEW.`finished_at` % 86400000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 0, 0, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
    SELECT NEW.`status`, NEW.`schedule_id`, coalesce(CASE NEW.`status` WHEN 'failed' THEN NEW.`failure_reason` ELSE NEW.`skipped_reason` END, ''), 1
    WHERE NEW.`status` IN ('failed', 'skipped') AND NEW.`schedule_id` IS NOT NULL
    ON CONFLICT (`metric`, `schedule_id`, `reason`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_spend_update` AFTER UPDATE OF `status`, `finished_at`, `cost_usd`, `input_tokens`, `output_tokens`, `schedule_id`, `started_at` ON `tasks`
  WHEN OLD.`finished_at` IS NOT NULL OR NEW.`finished_at` IS NOT NULL OR OLD.`status` IS NOT NEW.`status` BEGIN
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 3600000, OLD.`finished_at` - OLD.`finished_at` % 3600000, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND (coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 OR (OLD.`input_tokens` IS NULL AND OLD.`output_tokens` IS NULL)) THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL OR OLD.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 86400000, OLD.`finished_at` - OLD.`finished_at` % 86400000, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND (coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 OR (OLD.`input_tokens` IS NULL AND OLD.`output_tokens` IS NULL)) THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL OR OLD.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(OLD.`schedule_id`, ''), 0, 0, -coalesce(OLD.`cost_usd`, 0), -coalesce(OLD.`input_tokens`, 0), -coalesce(OLD.`output_tokens`, 0), -1,
      CASE WHEN OLD.`cost_usd` IS NULL AND (coalesce(OLD.`input_tokens`, 0) + coalesce(OLD.`output_tokens`, 0) > 0 OR (OLD.`input_tokens` IS NULL AND OLD.`output_tokens` IS NULL)) THEN -1 ELSE 0 END WHERE OLD.`finished_at` IS NOT NULL AND (OLD.`cost_usd` IS NOT NULL OR OLD.`input_tokens` IS NOT NULL OR OLD.`output_tokens` IS NOT NULL OR OLD.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 3600000, NEW.`finished_at` - NEW.`finished_at` % 3600000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 86400000, NEW.`finished_at` - NEW.`finished_at` % 86400000, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
    SELECT coalesce(NEW.`schedule_id`, ''), 0, 0, coalesce(NEW.`cost_usd`, 0), coalesce(NEW.`input_tokens`, 0), coalesce(NEW.`output_tokens`, 0), 1,
      CASE WHEN NEW.`cost_usd` IS NULL AND (coalesce(NEW.`input_tokens`, 0) + coalesce(NEW.`output_tokens`, 0) > 0 OR (NEW.`input_tokens` IS NULL AND NEW.`output_tokens` IS NULL)) THEN 1 ELSE 0 END WHERE NEW.`finished_at` IS NOT NULL AND (NEW.`cost_usd` IS NOT NULL OR NEW.`input_tokens` IS NOT NULL OR NEW.`output_tokens` IS NOT NULL OR NEW.`started_at` IS NOT NULL)
    ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `cost_usd` = `cost_usd` + excluded.`cost_usd`, `input_tokens` = `input_tokens` + excluded.`input_tokens`,
      `output_tokens` = `output_tokens` + excluded.`output_tokens`, `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
  INSERT INTO `schedule_outcome_counts` (`metric`, `schedule_id`, `reason`, `n`)
    SELECT NEW.`status`, NEW.`schedule_id`, coalesce(CASE NEW.`status` WHEN 'failed' THEN NEW.`failure_reason` ELSE NEW.`skipped_reason` END, ''), 1
    WHERE NEW.`status` IN ('failed', 'skipped') AND NEW.`schedule_id` IS NOT NULL AND OLD.`status` IS NOT NEW.`status`
    ON CONFLICT (`metric`, `schedule_id`, `reason`) DO UPDATE SET `n` = `n` + 1;
END;
--> statement-breakpoint
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 3600000, `finished_at` - `finished_at` % 3600000, 0, 0, 0, count(*), count(*)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND `started_at` IS NOT NULL AND `cost_usd` IS NULL AND `input_tokens` IS NULL AND `output_tokens` IS NULL
  GROUP BY 1, 3
  ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
--> statement-breakpoint
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 86400000, `finished_at` - `finished_at` % 86400000, 0, 0, 0, count(*), count(*)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND `started_at` IS NOT NULL AND `cost_usd` IS NULL AND `input_tokens` IS NULL AND `output_tokens` IS NULL
  GROUP BY 1, 3
  ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
--> statement-breakpoint
INSERT INTO `schedule_usage_rollups` (`schedule_id`, `span_ms`, `bucket_start`, `cost_usd`, `input_tokens`, `output_tokens`, `runs`, `unpriced_runs`)
  SELECT coalesce(`schedule_id`, ''), 0, 0, 0, 0, 0, count(*), count(*)
  FROM `tasks` WHERE `finished_at` IS NOT NULL AND `started_at` IS NOT NULL AND `cost_usd` IS NULL AND `input_tokens` IS NULL AND `output_tokens` IS NULL
  GROUP BY 1, 3
  ON CONFLICT (`schedule_id`, `span_ms`, `bucket_start`) DO UPDATE SET `runs` = `runs` + excluded.`runs`, `unpriced_runs` = `unpriced_runs` + excluded.`unpriced_runs`;
