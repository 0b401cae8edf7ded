-- Maintained counters on PostgreSQL: the port of drizzle/sqlite/0006_maintained_counters.sql
-- (issue 15 item 3, ADR 0010). task_status_counts, schedule_task_counts and firing_histograms
-- are written only by these triggers, in the same transaction as the change to tasks /
-- schedule_firing_metrics, so every writer on every instance keeps them exact.
--
-- SQLite has one writer at a time; PostgreSQL runs writers concurrently, and counter rows are
-- the hottest rows there are (every claim moves a task queued → running). Updating them in
-- place from each row trigger would hold their row locks from the first change to COMMIT and
-- take them in whatever order the transaction's statements come: a terminal write that also
-- inserts a queued retry (running → failed, then +queued) and a claim (queued → running)
-- deadlock. So the work is split in two:
--   1. row triggers (tasks_counts_*, firing_histograms_*) only add the change to this
--      transaction's pending deltas, kept in the transaction-local setting
--      agentcron.task_count_deltas / agentcron.firing_deltas (savepoint rollbacks undo them);
--   2. deferred constraint triggers (*_apply) run at COMMIT; the first one of the transaction
--      applies all pending deltas, of both tables, as upserts in one global order
--      (task_status_counts by status, schedule_task_counts by (status, schedule id), then
--      firing_histograms by (metric, le_ms)) — locks held only for the commit, never taken
--      in conflicting orders.
-- A reader inside the writing transaction does not see its own pending deltas; every other
-- reader sees exact counters for what has committed.
INSERT INTO "task_status_counts" ("status", "n") SELECT "status", count(*) FROM "tasks" GROUP BY "status";
--> statement-breakpoint
INSERT INTO "schedule_task_counts" ("status", "schedule_id", "n")
  SELECT "status", "schedule_id", count(*) FROM "tasks" WHERE "schedule_id" IS NOT NULL GROUP BY "schedule_id", "status";
--> statement-breakpoint
WITH "b"("le") AS (VALUES (50::bigint), (100), (250), (500), (1000), (2500), (5000), (10000), (30000), (60000), (300000), (900000), (9223372036854775807)),
  "m"("metric") AS (VALUES ('lateness_ms'), ('slot_wait_ms')),
  "v"("metric", "x") AS (
    SELECT 'lateness_ms', greatest("lateness_ms", 0) FROM "schedule_firing_metrics"
    UNION ALL SELECT 'slot_wait_ms', greatest("slot_wait_ms", 0) FROM "schedule_firing_metrics"),
  "g" AS (SELECT "metric", (SELECT min("le") FROM "b" WHERE "le" >= "x") AS "bucket", count(*) AS "n", sum("x") AS "s" FROM "v" GROUP BY 1, 2)
INSERT INTO "firing_histograms" ("metric", "le_ms", "n", "sum_ms")
  SELECT "m"."metric", "b"."le", coalesce(sum("g"."n"), 0), coalesce(sum("g"."s"), 0)
  FROM "m" CROSS JOIN "b" LEFT JOIN "g" ON "g"."metric" = "m"."metric" AND "g"."bucket" <= "b"."le"
  GROUP BY "m"."metric", "b"."le";
--> statement-breakpoint
CREATE FUNCTION "agentcron_add_delta"("p_deltas" jsonb, "p_key" jsonb, "p_delta" integer) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_set("p_deltas", ARRAY["p_key"::text], to_jsonb(coalesce(("p_deltas" ->> "p_key"::text)::integer, 0) + "p_delta"))
$$;
--> statement-breakpoint
CREATE FUNCTION "agentcron_tasks_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Keys: [status, null] for task_status_counts, [status, schedule id] for schedule_task_counts.
  "d" jsonb := coalesce(nullif(current_setting('agentcron.task_count_deltas', true), ''), '{}')::jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    "d" := "agentcron_add_delta"("d", jsonb_build_array(OLD."status", NULL), -1);
    IF OLD."schedule_id" IS NOT NULL THEN "d" := "agentcron_add_delta"("d", jsonb_build_array(OLD."status", OLD."schedule_id"), -1); END IF;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    "d" := "agentcron_add_delta"("d", jsonb_build_array(NEW."status", NULL), 1);
    IF NEW."schedule_id" IS NOT NULL THEN "d" := "agentcron_add_delta"("d", jsonb_build_array(NEW."status", NEW."schedule_id"), 1); END IF;
  END IF;
  PERFORM set_config('agentcron.task_count_deltas', "d"::text, true);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "agentcron_apply_counter_deltas"() RETURNS trigger LANGUAGE plpgsql AS $$
-- Runs at COMMIT (deferred constraint triggers on tasks and schedule_firing_metrics), first
-- call of the transaction does the work. Both delta sets in one fixed order, whichever table's
-- trigger fires first: task_status_counts, schedule_task_counts, then firing_histograms.
DECLARE
  "t" jsonb := nullif(current_setting('agentcron.task_count_deltas', true), '')::jsonb;
  "f" jsonb := nullif(current_setting('agentcron.firing_deltas', true), '')::jsonb;
BEGIN
  IF "t" IS NOT NULL THEN
    PERFORM set_config('agentcron.task_count_deltas', '', true);
    -- INSERT … SELECT … ORDER BY upserts (and so locks) rows in that order.
    INSERT INTO "task_status_counts" ("status", "n")
      SELECT "e"."key"::jsonb ->> 0, "e"."value"::integer FROM jsonb_each_text("t") AS "e"
      WHERE "e"."key"::jsonb ->> 1 IS NULL AND "e"."value"::integer <> 0
      ORDER BY 1
      ON CONFLICT ("status") DO UPDATE SET "n" = "task_status_counts"."n" + excluded."n";
    INSERT INTO "schedule_task_counts" ("status", "schedule_id", "n")
      SELECT "e"."key"::jsonb ->> 0, "e"."key"::jsonb ->> 1, "e"."value"::integer FROM jsonb_each_text("t") AS "e"
      WHERE "e"."key"::jsonb ->> 1 IS NOT NULL AND "e"."value"::integer <> 0
      ORDER BY 1, 2
      ON CONFLICT ("status", "schedule_id") DO UPDATE SET "n" = "schedule_task_counts"."n" + excluded."n";
  END IF;
  IF "f" IS NOT NULL THEN
    PERFORM set_config('agentcron.firing_deltas', '', true);
    -- Per bucket: rows with value <= le_ms, and their sum (values below 0 count as 0). The
    -- bucket rows exist (seeded above), so the upsert always updates, in (metric, le_ms) order.
    INSERT INTO "firing_histograms" ("metric", "le_ms", "n", "sum_ms")
      SELECT "h"."metric", "h"."le_ms", sum("v"."n"), sum("v"."n" * "v"."x")
      FROM (SELECT "e"."key"::jsonb ->> 0 AS "metric", ("e"."key"::jsonb ->> 1)::bigint AS "x", "e"."value"::integer AS "n"
            FROM jsonb_each_text("f") AS "e") AS "v"
      JOIN "firing_histograms" AS "h" ON "h"."metric" = "v"."metric" AND "h"."le_ms" >= "v"."x"
      GROUP BY "h"."metric", "h"."le_ms"
      HAVING sum("v"."n") <> 0 OR sum("v"."n" * "v"."x") <> 0
      ORDER BY 1, 2
      ON CONFLICT ("metric", "le_ms") DO UPDATE
        SET "n" = "firing_histograms"."n" + excluded."n", "sum_ms" = "firing_histograms"."sum_ms" + excluded."sum_ms";
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tasks_counts_insert" AFTER INSERT ON "tasks" FOR EACH ROW EXECUTE FUNCTION "agentcron_tasks_counts"();
--> statement-breakpoint
CREATE TRIGGER "tasks_counts_update" AFTER UPDATE OF "status", "schedule_id" ON "tasks" FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."schedule_id" IS DISTINCT FROM NEW."schedule_id")
  EXECUTE FUNCTION "agentcron_tasks_counts"();
--> statement-breakpoint
CREATE TRIGGER "tasks_counts_delete" AFTER DELETE ON "tasks" FOR EACH ROW EXECUTE FUNCTION "agentcron_tasks_counts"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "tasks_counts_apply" AFTER INSERT OR DELETE OR UPDATE OF "status", "schedule_id" ON "tasks"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "agentcron_apply_counter_deltas"();
--> statement-breakpoint
CREATE FUNCTION "agentcron_firing_histograms"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- Keys: [metric, value clamped at 0] → number of rows with that value.
  "d" jsonb := coalesce(nullif(current_setting('agentcron.firing_deltas', true), ''), '{}')::jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    "d" := "agentcron_add_delta"("d", jsonb_build_array('lateness_ms', greatest(OLD."lateness_ms", 0)), -1);
    "d" := "agentcron_add_delta"("d", jsonb_build_array('slot_wait_ms', greatest(OLD."slot_wait_ms", 0)), -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    "d" := "agentcron_add_delta"("d", jsonb_build_array('lateness_ms', greatest(NEW."lateness_ms", 0)), 1);
    "d" := "agentcron_add_delta"("d", jsonb_build_array('slot_wait_ms', greatest(NEW."slot_wait_ms", 0)), 1);
  END IF;
  PERFORM set_config('agentcron.firing_deltas', "d"::text, true);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "firing_histograms_insert" AFTER INSERT ON "schedule_firing_metrics" FOR EACH ROW EXECUTE FUNCTION "agentcron_firing_histograms"();
--> statement-breakpoint
CREATE TRIGGER "firing_histograms_update" AFTER UPDATE OF "lateness_ms", "slot_wait_ms" ON "schedule_firing_metrics" FOR EACH ROW
  WHEN (OLD."lateness_ms" IS DISTINCT FROM NEW."lateness_ms" OR OLD."slot_wait_ms" IS DISTINCT FROM NEW."slot_wait_ms")
  EXECUTE FUNCTION "agentcron_firing_histograms"();
--> statement-breakpoint
CREATE TRIGGER "firing_histograms_delete" AFTER DELETE ON "schedule_firing_metrics" FOR EACH ROW EXECUTE FUNCTION "agentcron_firing_histograms"();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "firing_histograms_apply" AFTER INSERT OR DELETE OR UPDATE OF "lateness_ms", "slot_wait_ms" ON "schedule_firing_metrics"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "agentcron_apply_counter_deltas"();
