import { json, otherMethods, route } from "@/lib/http/route";
import { storageOverview } from "@/lib/retention/storage";

export const dynamic = "force-dynamic";

/** GET /api/storage → `{dialect, sizeBytes, freeBytes, autoVacuum, rows, lastMaintenance}` (dashboard card). */
export const GET = route(async (_req, _params, ctx) => json(await storageOverview(ctx.db)));

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
