import { json, otherMethods, parseWith, queryOf, readJson, route } from "@/lib/http/route";
import { forceQuerySchema } from "@/lib/tasks/input";
import { authenticateHook, bearerToken, fireHook, HOOK_BODY_MAX_BYTES, idempotencyKeyOf } from "@/lib/triggers/fire-url";
import { hookBodySchema } from "@/lib/triggers/input";

export const dynamic = "force-dynamic";
type Params = { scheduleId: string };

/**
 * POST /api/hooks/:scheduleId[?force=true] (the fire URL) with `Authorization: Bearer <fire
 * URL token>` — not AGENTCRON_TOKEN (access.ts lets this one path through to be checked
 * here) → 202 {taskId, duplicate, forced}; 401 unauthorized (missing, wrong or rotated
 * token, unknown schedule); 409 schedule_not_active; 429 capacity_full {slotEtaSec};
 * 413 over 16 KiB; 400 bad JSON or Idempotency-Key. The token is checked before the body is read.
 */
export const POST = route<Params>(async (req, { scheduleId }, ctx) => {
  const db = ctx.db;
  const schedule = await authenticateHook(db, scheduleId, bearerToken(req.headers));
  const { force } = parseWith(forceQuerySchema, queryOf(req));
  const idempotencyKey = idempotencyKeyOf(req.headers);
  const body = await readJson(req, hookBodySchema, { maxBytes: HOOK_BODY_MAX_BYTES, optional: true });
  return json(await fireHook(db, schedule, { body, idempotencyKey, force: force === "true" }), 202);
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
