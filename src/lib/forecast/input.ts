/** zod schema of GET /api/forecast's query (API.md v2: `?hours=24`). Client-safe. */
import { z } from "zod";

export const FORECAST_HOURS_DEFAULT = 24;

export const forecastQuerySchema = z.object({
  hours: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number of hours")
    .min(1, "must be between 1 and 168")
    .max(168, "must be between 1 and 168")
    .default(FORECAST_HOURS_DEFAULT),
});
