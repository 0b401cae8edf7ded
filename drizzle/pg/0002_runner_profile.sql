ALTER TABLE "runners" ADD COLUMN "capacity" integer;--> statement-breakpoint
ALTER TABLE "runners" ADD COLUMN "kind" text DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE "runners" ADD COLUMN "labels" jsonb DEFAULT '[]'::jsonb NOT NULL;