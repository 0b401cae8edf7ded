import { json, otherMethods, route } from "@/lib/http/route";
import { sendTestNotification } from "@/lib/notifications/channels";
import { pokeScheduler } from "@/lib/scheduler/control";

export const dynamic = "force-dynamic";
type Params = { id: string };

/** POST /api/notification-channels/:id/test → 202 {deliveryId, eventId}: a test notification queued for this channel; 404. */
export const POST = route<Params>(async (_req, { id }, ctx) => {
  const queued = await sendTestNotification(id, ctx.clock.now(), ctx.db);
  pokeScheduler("notification_queued");
  return json(queued, 202);
});

export const { GET, PUT, PATCH, DELETE } = otherMethods({ POST });
