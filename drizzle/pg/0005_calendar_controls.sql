ALTER TABLE "schedules" ADD COLUMN "jitter_sec" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "active_window" jsonb;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "exclude_dates" jsonb;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "paused_until" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "backfill" boolean DEFAULT false NOT NULL;