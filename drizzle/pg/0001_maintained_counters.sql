-- Maintained counters on PostgreSQL: the port of drizzle/sqlite/0006_maintained_counters.sql
-- (issue 15 item 3, ADR 0010). task_status_counts, schedule_task_counts and firing_histograms
-- are written only by these triggers, in the same transaction as the change to tasks /
-- schedule_firing_metrics, so every writer on every instance keeps them exact.
--
-- Unlike SQLite (one writer at a time), PostgreSQL runs writers concurrently: each change is
-- an upsert of a delta (INSERT … ON CONFLICT DO UPDATE is atomic under concurrent writers, and
-- a missing row can't lose a decrement), and a trigger touches counter rows in one fixed order
-- (by status, then schedule id) so two transactions moving tasks in opposite directions
-- (queued → running, running → queued) can't deadlock on the counter rows.
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
CREATE FUNCTION "agentcron_bump_task_counts"("p_status" text, "p_schedule_id" text, "p_delta" integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF "p_schedule_id" IS NULL THEN
    INSERT INTO "task_status_counts" ("status", "n") VALUES ("p_status", "p_delta")
      ON CONFLICT ("status") DO UPDATE SET "n" = "task_status_counts"."n" + "p_delta";
  ELSE
    INSERT INTO "schedule_task_counts" ("status", "schedule_id", "n") VALUES ("p_status", "p_schedule_id", "p_delta")
      ON CONFLICT ("status", "schedule_id") DO UPDATE SET "n" = "schedule_task_counts"."n" + "p_delta";
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION "agentcron_tasks_counts"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "agentcron_bump_task_counts"(NEW."status", NULL, 1);
    IF NEW."schedule_id" IS NOT NULL THEN PERFORM "agentcron_bump_task_counts"(NEW."status", NEW."schedule_id", 1); END IF;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "agentcron_bump_task_counts"(OLD."status", NULL, -1);
    IF OLD."schedule_id" IS NOT NULL THEN PERFORM "agentcron_bump_task_counts"(OLD."status", OLD."schedule_id", -1); END IF;
  ELSE
    -- Fixed lock order: task_status_counts rows by status, then schedule_task_counts rows by (status, schedule id).
    IF OLD."status" IS DISTINCT FROM NEW."status" THEN
      IF OLD."status" < NEW."status" THEN
        PERFORM "agentcron_bump_task_counts"(OLD."status", NULL, -1);
        PERFORM "agentcron_bump_task_counts"(NEW."status", NULL, 1);
      ELSE
        PERFORM "agentcron_bump_task_counts"(NEW."status", NULL, 1);
        PERFORM "agentcron_bump_task_counts"(OLD."status", NULL, -1);
      END IF;
    END IF;
    IF (OLD."status", OLD."schedule_id") <= (NEW."status", NEW."schedule_id") OR NEW."schedule_id" IS NULL THEN
      IF OLD."schedule_id" IS NOT NULL THEN PERFORM "agentcron_bump_task_counts"(OLD."status", OLD."schedule_id", -1); END IF;
      IF NEW."schedule_id" IS NOT NULL THEN PERFORM "agentcron_bump_task_counts"(NEW."status", NEW."schedule_id", 1); END IF;
    ELSE
      PERFORM "agentcron_bump_task_counts"(NEW."status", NEW."schedule_id", 1);
      IF OLD."schedule_id" IS NOT NULL THEN PERFORM "agentcron_bump_task_counts"(OLD."status", OLD."schedule_id", -1); END IF;
    END IF;
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
CREATE FUNCTION "agentcron_firing_histograms"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Rows are locked in primary-key order (metric, le_ms): lateness_ms first, then slot_wait_ms.
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "firing_histograms" SET "n" = "n" - 1, "sum_ms" = "sum_ms" - greatest(OLD."lateness_ms", 0)
      WHERE "metric" = 'lateness_ms' AND "le_ms" >= greatest(OLD."lateness_ms", 0);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    UPDATE "firing_histograms" SET "n" = "n" + 1, "sum_ms" = "sum_ms" + greatest(NEW."lateness_ms", 0)
      WHERE "metric" = 'lateness_ms' AND "le_ms" >= greatest(NEW."lateness_ms", 0);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "firing_histograms" SET "n" = "n" - 1, "sum_ms" = "sum_ms" - greatest(OLD."slot_wait_ms", 0)
      WHERE "metric" = 'slot_wait_ms' AND "le_ms" >= greatest(OLD."slot_wait_ms", 0);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    UPDATE "firing_histograms" SET "n" = "n" + 1, "sum_ms" = "sum_ms" + greatest(NEW."slot_wait_ms", 0)
      WHERE "metric" = 'slot_wait_ms' AND "le_ms" >= greatest(NEW."slot_wait_ms", 0);
  END IF;
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
