-- The PostgreSQL port of drizzle/sqlite's spend_triggers (see there for what is counted).
-- Unlike 0001_maintained_counters these row triggers upsert directly: their rows are per
-- schedule (and hour), not global, so writers of different schedules never meet, and every
-- lock they take is taken before COMMIT — i.e. always before the deferred *_apply triggers
-- of 0001 take theirs, so the two sets can't wait on each other in opposite orders.
INSERT INTO "schedule_usage_rollups" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
  SELECT coalesce("schedule_id", ''), 3600000, "finished_at" - "finished_at" % 3600000, sum(coalesce("cost_usd", 0)), sum(coalesce("input_tokens", 0)), sum(coalesce("output_tokens", 0)), count(*),
    sum(CASE WHEN "cost_usd" IS NULL AND coalesce("input_tokens", 0) + coalesce("output_tokens", 0) > 0 THEN 1 ELSE 0 END)
  FROM "tasks" WHERE "finished_at" IS NOT NULL AND ("cost_usd" IS NOT NULL OR "input_tokens" IS NOT NULL OR "output_tokens" IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO "schedule_usage_rollups" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
  SELECT coalesce("schedule_id", ''), 86400000, "finished_at" - "finished_at" % 86400000, sum(coalesce("cost_usd", 0)), sum(coalesce("input_tokens", 0)), sum(coalesce("output_tokens", 0)), count(*),
    sum(CASE WHEN "cost_usd" IS NULL AND coalesce("input_tokens", 0) + coalesce("output_tokens", 0) > 0 THEN 1 ELSE 0 END)
  FROM "tasks" WHERE "finished_at" IS NOT NULL AND ("cost_usd" IS NOT NULL OR "input_tokens" IS NOT NULL OR "output_tokens" IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO "schedule_usage_rollups" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
  SELECT coalesce("schedule_id", ''), 0, 0, sum(coalesce("cost_usd", 0)), sum(coalesce("input_tokens", 0)), sum(coalesce("output_tokens", 0)), count(*),
    sum(CASE WHEN "cost_usd" IS NULL AND coalesce("input_tokens", 0) + coalesce("output_tokens", 0) > 0 THEN 1 ELSE 0 END)
  FROM "tasks" WHERE "finished_at" IS NOT NULL AND ("cost_usd" IS NOT NULL OR "input_tokens" IS NOT NULL OR "output_tokens" IS NOT NULL)
  GROUP BY 1, 3;
--> statement-breakpoint
INSERT INTO "schedule_outcome_counts" ("metric", "schedule_id", "reason", "n")
  SELECT "status", "schedule_id", coalesce(CASE "status" WHEN 'failed' THEN "failure_reason" ELSE "skipped_reason" END, ''), count(*)
  FROM "tasks" WHERE "status" IN ('failed', 'skipped') AND "schedule_id" IS NOT NULL GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE FUNCTION "agentcron_tasks_spend"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."finished_at" IS NOT NULL AND (OLD."cost_usd" IS NOT NULL OR OLD."input_tokens" IS NOT NULL OR OLD."output_tokens" IS NOT NULL) THEN
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(OLD."schedule_id", ''), 3600000, OLD."finished_at" - OLD."finished_at" % 3600000, -coalesce(OLD."cost_usd", 0), -coalesce(OLD."input_tokens", 0), -coalesce(OLD."output_tokens", 0), -1,
        CASE WHEN OLD."cost_usd" IS NULL AND coalesce(OLD."input_tokens", 0) + coalesce(OLD."output_tokens", 0) > 0 THEN -1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(OLD."schedule_id", ''), 86400000, OLD."finished_at" - OLD."finished_at" % 86400000, -coalesce(OLD."cost_usd", 0), -coalesce(OLD."input_tokens", 0), -coalesce(OLD."output_tokens", 0), -1,
        CASE WHEN OLD."cost_usd" IS NULL AND coalesce(OLD."input_tokens", 0) + coalesce(OLD."output_tokens", 0) > 0 THEN -1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(OLD."schedule_id", ''), 0, 0, -coalesce(OLD."cost_usd", 0), -coalesce(OLD."input_tokens", 0), -coalesce(OLD."output_tokens", 0), -1,
        CASE WHEN OLD."cost_usd" IS NULL AND coalesce(OLD."input_tokens", 0) + coalesce(OLD."output_tokens", 0) > 0 THEN -1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
  END IF;
  IF NEW."finished_at" IS NOT NULL AND (NEW."cost_usd" IS NOT NULL OR NEW."input_tokens" IS NOT NULL OR NEW."output_tokens" IS NOT NULL) THEN
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(NEW."schedule_id", ''), 3600000, NEW."finished_at" - NEW."finished_at" % 3600000, coalesce(NEW."cost_usd", 0), coalesce(NEW."input_tokens", 0), coalesce(NEW."output_tokens", 0), 1,
        CASE WHEN NEW."cost_usd" IS NULL AND coalesce(NEW."input_tokens", 0) + coalesce(NEW."output_tokens", 0) > 0 THEN 1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(NEW."schedule_id", ''), 86400000, NEW."finished_at" - NEW."finished_at" % 86400000, coalesce(NEW."cost_usd", 0), coalesce(NEW."input_tokens", 0), coalesce(NEW."output_tokens", 0), 1,
        CASE WHEN NEW."cost_usd" IS NULL AND coalesce(NEW."input_tokens", 0) + coalesce(NEW."output_tokens", 0) > 0 THEN 1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
    INSERT INTO "schedule_usage_rollups" AS "u" ("schedule_id", "span_ms", "bucket_start", "cost_usd", "input_tokens", "output_tokens", "runs", "unpriced_runs")
      VALUES (coalesce(NEW."schedule_id", ''), 0, 0, coalesce(NEW."cost_usd", 0), coalesce(NEW."input_tokens", 0), coalesce(NEW."output_tokens", 0), 1,
        CASE WHEN NEW."cost_usd" IS NULL AND coalesce(NEW."input_tokens", 0) + coalesce(NEW."output_tokens", 0) > 0 THEN 1 ELSE 0 END)
      ON CONFLICT ("schedule_id", "span_ms", "bucket_start") DO UPDATE SET "cost_usd" = "u"."cost_usd" + excluded."cost_usd", "input_tokens" = "u"."input_tokens" + excluded."input_tokens",
        "output_tokens" = "u"."output_tokens" + excluded."output_tokens", "runs" = "u"."runs" + excluded."runs", "unpriced_runs" = "u"."unpriced_runs" + excluded."unpriced_runs";
  END IF;
  IF NEW."status" IN ('failed', 'skipped') AND NEW."schedule_id" IS NOT NULL AND (TG_OP = 'INSERT' OR OLD."status" IS DISTINCT FROM NEW."status") THEN
    INSERT INTO "schedule_outcome_counts" AS "c" ("metric", "schedule_id", "reason", "n")
      VALUES (NEW."status", NEW."schedule_id", coalesce(CASE NEW."status" WHEN 'failed' THEN NEW."failure_reason" ELSE NEW."skipped_reason" END, ''), 1)
      ON CONFLICT ("metric", "schedule_id", "reason") DO UPDATE SET "n" = "c"."n" + 1;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tasks_spend_insert" AFTER INSERT ON "tasks" FOR EACH ROW EXECUTE FUNCTION "agentcron_tasks_spend"();
--> statement-breakpoint
CREATE TRIGGER "tasks_spend_update" AFTER UPDATE OF "status", "finished_at", "cost_usd", "input_tokens", "output_tokens", "schedule_id" ON "tasks" FOR EACH ROW
  WHEN (OLD."finished_at" IS NOT NULL OR NEW."finished_at" IS NOT NULL OR OLD."status" IS DISTINCT FROM NEW."status")
  EXECUTE FUNCTION "agentcron_tasks_spend"();
--> statement-breakpoint
INSERT INTO "schedule_outcome_counts" ("metric", "schedule_id", "reason", "n")
  SELECT CASE "kind" WHEN 'missed_occurrences' THEN 'missed' ELSE 'budget_breach' END, coalesce("schedule_id", ''),
    CASE "kind" WHEN 'missed_occurrences' THEN '' ELSE coalesce("data" ->> 'scope', '') END,
    sum(CASE "kind" WHEN 'missed_occurrences' THEN coalesce(("data" ->> 'count')::bigint, 0) ELSE 1 END)
  FROM "events" WHERE "kind" IN ('missed_occurrences', 'budget_exceeded') GROUP BY 1, 2, 3;
--> statement-breakpoint
CREATE FUNCTION "agentcron_events_spend"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "schedule_outcome_counts" AS "c" ("metric", "schedule_id", "reason", "n")
    VALUES (CASE NEW."kind" WHEN 'missed_occurrences' THEN 'missed' ELSE 'budget_breach' END, coalesce(NEW."schedule_id", ''),
      CASE NEW."kind" WHEN 'missed_occurrences' THEN '' ELSE coalesce(NEW."data" ->> 'scope', '') END,
      CASE NEW."kind" WHEN 'missed_occurrences' THEN coalesce((NEW."data" ->> 'count')::bigint, 0) ELSE 1 END)
    ON CONFLICT ("metric", "schedule_id", "reason") DO UPDATE SET "n" = "c"."n" + excluded."n";
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "events_spend_insert" AFTER INSERT ON "events" FOR EACH ROW
  WHEN (NEW."kind" IN ('missed_occurrences', 'budget_exceeded'))
  EXECUTE FUNCTION "agentcron_events_spend"();
