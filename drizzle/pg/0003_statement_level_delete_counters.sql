-- Retention deletes thousands of tasks / firing metrics per statement (issue 11 item 4). The
-- row-level DELETE triggers of 0001_maintained_counters rewrote the transaction's jsonb of
-- pending deltas once per row and queued one deferred constraint-trigger event per row: 40,000
-- rows over 1,000 schedules took 51 s. Deletes now record their deltas with statement-level
-- triggers over the transition table (REFERENCING OLD TABLE): one grouped merge into the same
-- transaction-local deltas per statement. The deltas are still applied at COMMIT by
-- agentcron_apply_counter_deltas, in the one global lock order of 0001 (so a transaction that
-- deletes and updates tasks can't deadlock with a claim): each deleting statement inserts one
-- row into agentcron_internal.counter_flush (trigger machinery, not data: its own schema), whose deferred constraint trigger runs the apply; the apply
-- removes the transaction's flush rows. Inserts and updates keep the row-level path of 0001.
CREATE SCHEMA IF NOT EXISTS "agentcron_internal";
--> statement-breakpoint
CREATE TABLE "agentcron_internal"."counter_flush" ("txid" bigint NOT NULL);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "agentcron_apply_counter_deltas"() RETURNS trigger LANGUAGE plpgsql AS $$
-- Runs at COMMIT (deferred constraint triggers on tasks, schedule_firing_metrics and
-- agentcron_internal.counter_flush), first call of the transaction does the work. Both delta sets in one
-- fixed order, whichever table's trigger fires first: task_status_counts, schedule_task_counts,
-- then firing_histograms.
DECLARE
  "t" jsonb := nullif(current_setting('agentcron.task_count_deltas', true), '')::jsonb;
  "f" jsonb := nullif(current_setting('agentcron.firing_deltas', true), '')::jsonb;
BEGIN
  IF "t" IS NOT NULL THEN
    PERFORM set_config('agentcron.task_count_deltas', '', true);
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
  IF TG_TABLE_SCHEMA = 'agentcron_internal' THEN
    DELETE FROM "agentcron_internal"."counter_flush" WHERE "txid" = txid_current();
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "counter_flush_apply" AFTER INSERT ON "agentcron_internal"."counter_flush"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "agentcron_apply_counter_deltas"();
--> statement-breakpoint
DROP TRIGGER "tasks_counts_delete" ON "tasks";
--> statement-breakpoint
DROP TRIGGER "tasks_counts_apply" ON "tasks";
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "tasks_counts_apply" AFTER INSERT OR UPDATE OF "status", "schedule_id" ON "tasks"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "agentcron_apply_counter_deltas"();
--> statement-breakpoint
CREATE FUNCTION "agentcron_tasks_counts_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "d" jsonb := coalesce(nullif(current_setting('agentcron.task_count_deltas', true), ''), '{}')::jsonb;
BEGIN
  -- Keys as the row trigger writes them: [status, null] and [status, schedule id], as jsonb text.
  SELECT "d" || coalesce(jsonb_object_agg("g"."key", coalesce(("d" ->> "g"."key")::integer, 0) + "g"."n"), '{}'::jsonb) INTO "d"
  FROM (SELECT jsonb_build_array("status", NULL)::text AS "key", -count(*)::integer AS "n" FROM "old_rows" GROUP BY "status"
        UNION ALL
        SELECT jsonb_build_array("status", "schedule_id")::text, -count(*)::integer FROM "old_rows" WHERE "schedule_id" IS NOT NULL GROUP BY "status", "schedule_id") AS "g";
  PERFORM set_config('agentcron.task_count_deltas', "d"::text, true);
  INSERT INTO "agentcron_internal"."counter_flush" ("txid") SELECT txid_current() WHERE EXISTS (SELECT 1 FROM "old_rows");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "tasks_counts_delete" AFTER DELETE ON "tasks" REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "agentcron_tasks_counts_deleted"();
--> statement-breakpoint
DROP TRIGGER "firing_histograms_delete" ON "schedule_firing_metrics";
--> statement-breakpoint
DROP TRIGGER "firing_histograms_apply" ON "schedule_firing_metrics";
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "firing_histograms_apply" AFTER INSERT OR UPDATE OF "lateness_ms", "slot_wait_ms" ON "schedule_firing_metrics"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "agentcron_apply_counter_deltas"();
--> statement-breakpoint
CREATE FUNCTION "agentcron_firing_histograms_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  "d" jsonb := coalesce(nullif(current_setting('agentcron.firing_deltas', true), ''), '{}')::jsonb;
BEGIN
  -- Keys as the row trigger writes them: [metric, value clamped at 0] → rows with that value.
  SELECT "d" || coalesce(jsonb_object_agg("g"."key", coalesce(("d" ->> "g"."key")::integer, 0) + "g"."n"), '{}'::jsonb) INTO "d"
  FROM (SELECT jsonb_build_array("v"."metric", "v"."x")::text AS "key", -count(*)::integer AS "n"
        FROM (SELECT 'lateness_ms' AS "metric", greatest("lateness_ms", 0) AS "x" FROM "old_rows"
              UNION ALL SELECT 'slot_wait_ms', greatest("slot_wait_ms", 0) FROM "old_rows") AS "v"
        GROUP BY "v"."metric", "v"."x") AS "g";
  PERFORM set_config('agentcron.firing_deltas', "d"::text, true);
  INSERT INTO "agentcron_internal"."counter_flush" ("txid") SELECT txid_current() WHERE EXISTS (SELECT 1 FROM "old_rows");
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "firing_histograms_delete" AFTER DELETE ON "schedule_firing_metrics" REFERENCING OLD TABLE AS "old_rows"
  FOR EACH STATEMENT EXECUTE FUNCTION "agentcron_firing_histograms_deleted"();
