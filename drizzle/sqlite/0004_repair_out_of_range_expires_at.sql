-- Repairs schedules whose expires_at can't be a date (security issue #9 item 5): a value
-- outside 1970-01-01 … 9999-12-31 (1e300, -1e308, 2^53 …) made every read of the schedule
-- list answer 500. Such a value becomes NULL ("never expires": nothing an ISO date can
-- name was meant), and an in-range REAL is truncated to integer milliseconds. Input
-- validation (LIMITS.timestampMinMs/MaxMs) keeps new rows in range.
UPDATE `schedules` SET `expires_at` = NULL
WHERE `expires_at` IS NOT NULL
  AND (typeof(`expires_at`) NOT IN ('integer', 'real') OR `expires_at` < 0 OR `expires_at` > 253402300799999);
--> statement-breakpoint
UPDATE `schedules` SET `expires_at` = CAST(`expires_at` AS INTEGER) WHERE typeof(`expires_at`) = 'real';
