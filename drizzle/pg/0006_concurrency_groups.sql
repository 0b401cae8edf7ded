CREATE TABLE "concurrency_groups" (
	"name" text PRIMARY KEY NOT NULL,
	"max_concurrent" integer NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "schedules" ADD COLUMN "concurrency_group" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "concurrency_group" text;