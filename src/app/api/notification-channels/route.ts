import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { channelCreateSchema } from "@/lib/notifications/channel-input";
import { createChannel, listChannels, serializeChannel } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";

/** GET /api/notification-channels → {channels} (no secrets). */
export const GET = route(async () => json({ channels: (await listChannels()).map((c) => serializeChannel(c)) }));

/** POST /api/notification-channels → 201 {channel} (a webhook's secret shown once); 400 invalid_request; 409 notification_channel_name_taken. */
export const POST = route(async (req, _params, ctx) => {
  const input = await readJson(req, channelCreateSchema);
  const { channel, shownSecret } = await createChannel(input, ctx.clock.now(), ctx.db);
  return json({ channel: serializeChannel(channel, shownSecret) }, 201);
});

export const { PUT, PATCH, DELETE } = otherMethods({ GET, POST });
