import { z } from "zod";
import { json, otherMethods, parseWith, queryOf, route } from "@/lib/http/route";
import { DELIVERIES_LIMIT_MAX, listDeliveries } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";
type Params = { id: string };

const querySchema = z.object({
  limit: z.coerce.number({ error: "must be a number" }).int("must be an integer").min(1, `must be between 1 and ${DELIVERIES_LIMIT_MAX}`).max(DELIVERIES_LIMIT_MAX, `must be between 1 and ${DELIVERIES_LIMIT_MAX}`).optional(),
});

/** GET /api/notification-channels/:id/deliveries?limit= → {deliveries} newest first, each with its attempts; 404. */
export const GET = route<Params>(async (req, { id }) => {
  const q = parseWith(querySchema, queryOf(req));
  return json({ deliveries: await listDeliveries(id, q.limit ?? 50) });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods({ GET });
