CREATE TABLE "hook_idempotency_keys" (
	"schedule_id" text NOT NULL,
	"key" text NOT NULL,
	"task_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "hook_idempotency_keys_schedule_id_key_pk" PRIMARY KEY("schedule_id","key")
);
--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "hook_token_hash" text;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "hook_token_created_at" bigint;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "depends_on_schedule_id" text;--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "depends_on_since" bigint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "trigger_kind" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "trigger_body" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "triggered_by_task_id" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "rendered_prompt" text;--> statement-breakpoint
CREATE INDEX "hook_idempotency_created_idx" ON "hook_idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "schedules_depends_on_idx" ON "schedules" USING btree ("depends_on_schedule_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_triggered_by_unique" ON "tasks" USING btree ("schedule_id","triggered_by_task_id") WHERE "tasks"."parent_task_id" IS NULL AND "tasks"."triggered_by_task_id" IS NOT NULL;