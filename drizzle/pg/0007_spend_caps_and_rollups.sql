CREATE TABLE "budget_breaches" (
	"key" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"schedule_id" text,
	"cap_usd" double precision NOT NULL,
	"spent_usd" double precision NOT NULL,
	"since" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_outcome_counts" (
	"metric" text NOT NULL,
	"schedule_id" text NOT NULL,
	"reason" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "schedule_outcome_counts_metric_schedule_id_reason_pk" PRIMARY KEY("metric","schedule_id","reason")
);
--> statement-breakpoint
CREATE TABLE "schedule_usage_rollups" (
	"schedule_id" text NOT NULL,
	"span_ms" bigint NOT NULL,
	"bucket_start" bigint NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"runs" integer DEFAULT 0 NOT NULL,
	"unpriced_runs" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "schedule_usage_rollups_schedule_id_span_ms_bucket_start_pk" PRIMARY KEY("schedule_id","span_ms","bucket_start")
);
--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "max_cost_usd_per_run" double precision;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "max_cost_usd_24h" double precision;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "max_cost_usd_7d" double precision;--> statement-breakpoint
CREATE INDEX "schedule_usage_rollups_span_idx" ON "schedule_usage_rollups" USING btree ("span_ms","bucket_start","schedule_id");